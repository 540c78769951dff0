"""Shared fixtures. `demo_office`: one whole demo cycle (≈8 s), run once per test session and
shared read-only by the tests that inspect what a finished cycle leaves behind."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_office(tmp_path_factory):
    from daemon.demo import run_demo

    target = tmp_path_factory.mktemp("demo")
    log = target / "demo.log"
    with log.open("w") as f:
        rc = run_demo(target, out=f)
    assert rc == 0, log.read_text()
    return target
