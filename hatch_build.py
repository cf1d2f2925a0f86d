"""Build hook: compiles the flag engine's optional C hash (``orgloop.flags.engine._fnv16``).

Used by both distributions built from this repository (``orgloop`` from ``pyproject.toml`` and
``orgloop-sdk`` from ``packages/orgloop-sdk/pyproject.toml``). The extension is an optional
speed-up: without a C compiler (or setuptools) the build warns and the engine hashes in pure
Python with the same results, so an install never fails for its sake. ``ORGLOOP_PURE=1`` skips
it on purpose.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

# Only present where the wheel is built (pip's build environment): untyped for mypy here.
from hatchling.builders.hooks.plugin.interface import (  # type: ignore[import-not-found,unused-ignore]
    BuildHookInterface,
)

ENGINE = Path("src", "orgloop", "flags", "engine")
MODULE = "_fnv16"


def compile_extension(source: Path, build_dir: Path) -> Path:
    """Compile ``source`` (a one-file CPython extension) into ``build_dir``; the built file."""
    # The build dependency this hook declares: it drives the platform's C compiler.
    from setuptools import Distribution, Extension  # type: ignore[import-untyped,unused-ignore]

    dist = Distribution(
        {"name": "orgloop-fnv16", "ext_modules": [Extension(MODULE, [str(source)])]}
    )
    command: Any = dist.get_command_obj("build_ext")
    command.build_lib = str(build_dir)
    command.build_temp = str(build_dir / "tmp")
    command.ensure_finalized()
    command.run()
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    built = build_dir / f"{MODULE}{suffix}"
    if not built.exists():
        raise RuntimeError(f"{built} was not produced")
    return built


class CustomBuildHook(BuildHookInterface):  # type: ignore[misc,type-arg,unused-ignore]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        engine = _engine_dir(Path(self.root))
        src = engine.parents[2]
        # A wheel made of some of the repository's sources (orgloop-sdk): exactly those files.
        for entry in self.config.get("sources", []):
            for path in _python_files(src / entry):
                build_data["force_include"][str(path)] = path.relative_to(src).as_posix()
        if os.environ.get("ORGLOOP_PURE") == "1":
            return
        self._tmp = Path(tempfile.mkdtemp(prefix="orgloop-fnv16-"))
        try:
            built = compile_extension(engine / f"{MODULE}.c", self._tmp)
        except Exception as exc:  # no compiler, no headers, no setuptools: pure Python it is
            print(
                f"orgloop: the C hash was not built ({exc.__class__.__name__}: {exc}); flag "
                "evaluation hashes in pure Python (same results, slower)",
                file=sys.stderr,
            )
            return
        if version == "editable":
            # An editable install imports from the source tree: the module goes beside its source.
            shutil.copy2(built, engine / built.name)
        else:
            build_data["force_include"][str(built)] = f"orgloop/flags/engine/{built.name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _python_files(path: Path) -> list[Path]:
    """``path`` itself, or the Python sources under it (no caches, no built modules)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path} (a source of this wheel) does not exist")
    return sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def _engine_dir(root: Path) -> Path:
    """The engine's source folder, from the repository root or from packages/orgloop-sdk/."""
    for base in (root, *root.parents):
        if (base / ENGINE / f"{MODULE}.c").exists():
            return base / ENGINE
    raise FileNotFoundError(f"{ENGINE / MODULE}.c not found above {root}")
