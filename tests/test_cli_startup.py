"""The ``orgloop`` command starts fast: loading it pulls in no server or analysis stack."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "sqlalchemy",
    "fastapi",
    "uvicorn",
    "scipy",
    "numpy",
    "pandas",
    "ibis",
    "duckdb",
    "pyarrow",
)


def test_loading_the_cli_imports_no_heavy_module() -> None:
    code = f"import sys, orgloop.main; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "", f"'orgloop' loads {loaded} at start-up; import them inside the command"
