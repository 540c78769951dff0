"""One loader per section of pantau.toml: each reads its keys through a `Reader`, appends every
problem it finds to it, and returns what `Config` needs from it (daemon/config/loader.py
assembles them, in the order the keys were always read so the problems keep their order).
"""

from __future__ import annotations




