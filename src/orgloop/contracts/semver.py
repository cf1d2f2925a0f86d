"""Semantic versions of services and APIs: parsing, ordering and what counts as a major bump."""

from __future__ import annotations

import re
from dataclasses import dataclass

from orgloop.kernel.errors import InvalidInput

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


@dataclass(frozen=True, order=True, slots=True)
class SemVer:
    major: int
    minor: int
    patch: int
    # A release sorts after its pre-releases: (False, "") > (True, "rc.1").
    release: bool
    prerelease: str


def parse_semver(text: str, *, path: str = "version") -> SemVer:
    match = _SEMVER.match(text.strip())
    if match is None:
        raise InvalidInput.at(path, f"{text!r} is not a semantic version such as 1.4.2")
    pre = match[4] or ""
    return SemVer(int(match[1]), int(match[2]), int(match[3]), not pre, pre)


def is_major_bump(old: SemVer, new: SemVer) -> bool:
    """A new major version; below 1.0.0 a new minor version counts as one (semver item 4)."""
    if new.major > old.major:
        return True
    return old.major == 0 == new.major and new.minor > old.minor
