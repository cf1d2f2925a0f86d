"""The errors the catalog raises; both are kernel error types, so clients see the usual codes.

Exception hierarchy::

    OrgloopError
    ├── InvalidInput (422, invalid_input)
    │   └── CatalogInvalid   descriptors that break Backstage's or orgloop's rules;
    │                        ``details["errors"]``: one ``{file, document, path, message}`` each
    └── NotFound (404, not_found)
        └── EntityNotFound   no entity with that ref (of that type, for a collection)
"""

from __future__ import annotations

from orgloop.catalog.entities import Issue
from orgloop.kernel.errors import InvalidInput, NotFound


class CatalogInvalid(InvalidInput):
    """A rejected import or write: every issue found, the first in the message."""

    @classmethod
    def of(cls, issues: list[Issue]) -> CatalogInvalid:
        first = str(issues[0]) if issues else "invalid catalog"
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        return cls(first + more, details={"errors": [i.to_dict() for i in issues]})


class EntityNotFound(NotFound):
    """No entity with the ref asked for; ``details["ref"]`` names it when it parsed."""
