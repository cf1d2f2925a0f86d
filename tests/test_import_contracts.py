"""The import contracts catch the breaks the docs forbid: each is planted in a copy of src/.

Every case copies ``src/``, ``pyproject.toml`` and ``devtools/`` to a temporary directory, adds one
import to one module (or a small new slice) and runs ``lint-imports`` there: it must fail and name
the planted import. The untouched copy must pass. See docs/development.md for the rules.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # one lint-imports run per case: 1.5 s to 6 s each


def _lint_imports() -> str:
    beside = Path(sys.executable).parent / "lint-imports"
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is not installed (the dev extra has import-linter)")
    return found


def _copy(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=ignore)
    shutil.copytree(ROOT / "devtools", tmp_path / "devtools", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _plant(root: Path, module: str, imported: str) -> None:
    """Add ``import <imported>`` at the end of ``module`` (created, with its package, if new)."""
    path = root / "src" / Path(*module.split("."))
    target = path.with_suffix(".py")
    if path.is_dir():
        target = path / "__init__.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    for package in list(target.parents)[: len(module.split(".")) - 1]:
        (package / "__init__.py").touch()
    with target.open("a") as handle:
        handle.write(f"\nimport {imported}  # planted by tests/test_import_contracts.py\n")


def test_the_untouched_source_keeps_every_contract(tmp_path: Path) -> None:
    result = _run(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


BREAKS = {
    # The four the docs forbid (issue 9).
    "a web page imports a store": ("orgloop.web.flagviews", "orgloop.flags.store"),
    "a slice's api imports its own store": ("orgloop.flags.api", "orgloop.flags.store"),
    "a slice imports another slice's logic module": (
        "orgloop.experiments.service",
        "orgloop.flags.groups",
    ),
    "the web imports the tracked-event store": (
        "orgloop.web.experimentviews",
        "orgloop.experiments.ingest.store",
    ),
    # The rest of the rules.
    "a second entry point imports a store": ("orgloop.flags.cli_groups", "orgloop.flags.store"),
    "a command imports a service": ("orgloop.flags.cli", "orgloop.flags.service"),
    "a slice imports a module of the engine instead of the engine": (
        "orgloop.experiments.lifecycle",
        "orgloop.flags.engine.evaluation",
    ),
    "a slice imports a module of stats instead of stats": (
        "orgloop.experiments.analysis",
        "orgloop.stats.cuped",
    ),
    "the SDK imports server code": ("orgloop.sdk.client", "orgloop.flags.models"),
    "the SDK imports a slice's service": ("orgloop.sdk.buffer", "orgloop.catalog.service"),
    "the flag engine imports a framework": ("orgloop.flags.engine.ruleset", "pydantic"),
    "the flag engine imports server code": ("orgloop.flags.engine.evaluation", "orgloop.kernel.db"),
    # A slice that does not exist yet is held by the same wildcard rules.
    "a new slice's second route imports its store": (
        "orgloop.newslice.api_extra",
        "orgloop.newslice.store",
    ),
    "a new slice imports another slice's logic module": (
        "orgloop.newslice.service",
        "orgloop.flags.payload",
    ),
}


@pytest.mark.parametrize(
    ("importer", "imported"),
    BREAKS.values(),
    ids=[name.replace(" ", "_").replace("'", "") for name in BREAKS],
)
def test_a_planted_break_fails_lint_imports(tmp_path: Path, importer: str, imported: str) -> None:
    root = _copy(tmp_path)
    _plant(root, importer, imported)
    if importer.startswith("orgloop.newslice."):
        _plant(root, "orgloop.newslice.store", "sqlalchemy")
    result = _run(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{importer} -> {imported}" in result.stdout, result.stdout
