"""The dashboard: server-rendered pages over the slices' services, each with a JSON twin."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
"""Mounted at ``/static``: everything the pages load ships here, nothing comes from a CDN."""

TEMPLATES_DIR = Path(__file__).parent / "templates"
