"""Errors of the contracts slice: bad documents and bad policy files.

InvalidInput (422, invalid_input)
├── SpecInvalid      an OpenAPI document that cannot be read or diffed
└── PolicyInvalid    a diff policy file that cannot be read
PayloadTooLarge (413, payload_too_large)
└── SpecTooLarge     a document (or the files it references) over the size limit
"""

from __future__ import annotations

from orgloop.kernel.errors import InvalidInput, PayloadTooLarge


class SpecInvalid(InvalidInput):
    """An OpenAPI document that is not valid enough to diff; the location is in ``details``."""


class PolicyInvalid(InvalidInput):
    """A diff policy file with an unknown key, a bad level or an ignore entry without a reason."""


class SpecTooLarge(PayloadTooLarge):
    """A document, or the set of files it references, larger than the loader accepts."""


def spec_error(source: str, path: str, message: str) -> SpecInvalid:
    """One problem at one location: ``source`` is the file, ``path`` a JSON pointer in it."""
    where = f"{source}#{path}" if path else source
    return SpecInvalid(
        f"{where}: {message}",
        details={"errors": [{"path": where, "message": message}]},
    )
