"""Import-linter contract types for orgloop's house rules (``[tool.importlinter]`` in pyproject.toml).

import-linter's own module expressions cannot say "any module whose name starts with ``api_``",
which the naming scheme of a slice's second entry points (``api_ingest``, ``cli_groups``) needs,
nor "only these modules of *another* slice". So the contracts here take **patterns**: dotted names
in which ``*`` stands for any part of one name (``orgloop.*.api_*``) and ``**`` for one or more
whole names (``orgloop.**.store`` matches ``orgloop.experiments.ingest.store``). A pattern without
a wildcard must name a module that exists, so a stale rule fails instead of passing silently.

- ``interfaces``: across the slices of a container, a module imports another slice's module only if
  that module matches one of ``interfaces`` (the composition root is exempt);
- ``only``: the modules of ``source_modules`` import nothing but their own package, the standard
  library and ``allowed_modules``;
- ``never``: the modules of ``source_modules`` never directly import ``forbidden_modules``.

Every type takes import-linter's usual ``ignore_imports`` (exact import expressions) for
deliberate exceptions. ``lint-imports`` puts the working directory on ``sys.path``, so run it from
the repository root (``make lint`` does).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import cast

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.domain.imports import ImportExpression

_STANDARD_LIBRARY = frozenset(sys.stdlib_module_names) | {"__future__"}


def _regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for part in pattern.split("."):
        if part == "**":
            parts.append(r"[^.]+(?:\.[^.]+)*")
        else:
            parts.append("[^.]*".join(re.escape(piece) for piece in part.split("*")))
    return re.compile(r"\.".join(parts) + r"\Z")


class Patterns:
    """A list of module patterns (see the module docstring)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = list(patterns)
        self._regexes = [_regex(p) for p in self.patterns]

    def match(self, module: str) -> bool:
        """The module itself matches a pattern."""
        return any(regex.match(module) for regex in self._regexes)

    def match_package(self, module: str) -> bool:
        """The module or one of its ancestors matches a pattern (patterns name packages)."""
        parts = module.split(".")
        return any(self.match(".".join(parts[:i])) for i in range(len(parts), 0, -1))

    def missing(self, graph: grimp.ImportGraph) -> list[str]:
        """Patterns without a wildcard that name no module of the graph."""
        return [p for p in self.patterns if "*" not in p and p not in graph.modules]


class _HouseContract(Contract):
    """What the three types share: ignored imports, the check and the report."""

    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(
        contract_utils.AlertLevel, default=contract_utils.AlertLevel.ERROR
    )
    broken_contract_guidance = fields.TextField(required=False)

    def _patterns(self) -> Iterator[Patterns]:
        raise NotImplementedError

    def _illegal(self, graph: grimp.ImportGraph) -> Iterator[tuple[str, str]]:
        """Each (importer, imported) that breaks the contract."""
        raise NotImplementedError

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=cast(Sequence[ImportExpression], self.ignore_imports),
            unmatched_alerting=cast(
                contract_utils.AlertLevel, self.unmatched_ignore_imports_alerting
            ),
        )
        missing = sorted({p for patterns in self._patterns() for p in patterns.missing(graph)})
        links = []
        for importer, imported in sorted(set(self._illegal(graph))):
            details = graph.get_import_details(importer=importer, imported=imported)
            lines = tuple(d["line_number"] for d in details)
            links.append({"importer": importer, "imported": imported, "line_numbers": lines})
        return ContractCheck(
            kept=not links and not missing,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"illegal": links, "missing": missing},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for pattern in check.metadata["missing"]:
            output.print_error(f"{pattern} names no module: update the contract.", bold=False)
            output.new_line()
        for link in check.metadata["illegal"]:
            lines = ", ".join(map(str, link["line_numbers"]))
            output.print_error(
                f"- {link['importer']} -> {link['imported']} (l.{lines})", bold=False
            )
            output.new_line()
        output.new_line()
        contract_utils.render_broken_contract_guidance(
            cast("str | None", self.broken_contract_guidance)
        )


def _imports(graph: grimp.ImportGraph, importers: Iterable[str]) -> Iterator[tuple[str, str]]:
    for importer in importers:
        for imported in graph.find_modules_directly_imported_by(importer):
            yield importer, imported


class InterfacesContract(_HouseContract):
    """Across slices only the interface modules are imported.

    Options:
        - containers: packages whose children are the slices (``orgloop``).
        - interfaces: patterns of the modules any other slice may import.
        - composition: patterns of packages exempt as importers (the composition root).
    """

    type_name = "interfaces"

    containers = fields.ListField(subfield=fields.StringField())
    interfaces = fields.ListField(subfield=fields.StringField())
    composition = fields.ListField(subfield=fields.StringField(), required=False)

    def _patterns(self) -> Iterator[Patterns]:
        yield Patterns(cast(list[str], self.interfaces))
        yield Patterns(cast(list[str], self.composition or []))

    def _illegal(self, graph: grimp.ImportGraph) -> Iterator[tuple[str, str]]:
        interfaces, composition = self._patterns()
        for container in cast(list[str], self.containers):
            prefix = container + "."

            def slice_of(module: str, prefix: str = prefix) -> str | None:
                return module[len(prefix) :].split(".")[0] if module.startswith(prefix) else None

            importers = [
                m for m in graph.modules if slice_of(m) and not composition.match_package(m)
            ]
            for importer, imported in _imports(graph, importers):
                other = slice_of(imported)
                if other and other != slice_of(importer) and not interfaces.match(imported):
                    yield importer, imported


class OnlyContract(_HouseContract):
    """The source packages import only themselves, the standard library and what is allowed.

    Options:
        - source_modules: patterns of the packages held to the rule.
        - allowed_modules: patterns of the modules they may import (exactly these modules, not
          their descendants; an external package is one module).
        - allow_standard_library: default true.
    """

    type_name = "only"

    source_modules = fields.ListField(subfield=fields.StringField())
    allowed_modules = fields.ListField(subfield=fields.StringField(), required=False)
    allow_standard_library = fields.BooleanField(required=False, default=True)

    def _patterns(self) -> Iterator[Patterns]:
        yield Patterns(cast(list[str], self.source_modules))
        yield Patterns(cast(list[str], self.allowed_modules or []))

    def _illegal(self, graph: grimp.ImportGraph) -> Iterator[tuple[str, str]]:
        sources, allowed = self._patterns()
        importers = [m for m in graph.modules if sources.match_package(m)]
        for importer, imported in _imports(graph, importers):
            if sources.match_package(imported) or allowed.match(imported):
                continue
            if self.allow_standard_library and imported.split(".")[0] in _STANDARD_LIBRARY:
                continue
            yield importer, imported


class NeverContract(_HouseContract):
    """The source packages never import the forbidden ones directly.

    Options:
        - source_modules: patterns of the packages held to the rule.
        - forbidden_modules: patterns of the packages they must not import.
    """

    type_name = "never"

    source_modules = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def _patterns(self) -> Iterator[Patterns]:
        yield Patterns(cast(list[str], self.source_modules))
        yield Patterns(cast(list[str], self.forbidden_modules))

    def _illegal(self, graph: grimp.ImportGraph) -> Iterator[tuple[str, str]]:
        sources, forbidden = self._patterns()
        importers = [m for m in graph.modules if sources.match_package(m)]
        for importer, imported in _imports(graph, importers):
            if forbidden.match_package(imported):
                yield importer, imported


__all__ = ["InterfacesContract", "NeverContract", "OnlyContract", "Patterns"]
