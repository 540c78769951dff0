"""Pantau: runs a kecamatan office's performance-monitoring SOP by e-mail."""

__version__ = "0.1.0"
