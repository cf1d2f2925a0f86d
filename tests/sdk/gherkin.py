"""Just enough Gherkin to read the OpenFeature feature files: scenarios and their steps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KEYWORDS = ("Given ", "When ", "Then ", "And ", "But ")


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[str, ...]
    """Background steps first; keywords stripped."""


def parse_feature(path: Path) -> list[Scenario]:
    background: list[str] = []
    scenarios: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "@")):
            continue
        if line.startswith("Background:"):
            current = background
        elif line.startswith(("Scenario:", "Scenario Outline:")):
            current = []
            scenarios.append((line.split(":", 1)[1].strip(), current))
        elif current is not None and line.startswith(KEYWORDS):
            current.append(line.split(" ", 1)[1])
    return [Scenario(name, (*background, *steps)) for name, steps in scenarios]
