"""Consumer contracts: Pact files, Pact matching rules, static verification against OpenAPI.

- ``model.parse_pact``: Pact v2, v3 and v4 HTTP interactions in one model.
- ``matching.match_request`` / ``match_response``: Pact's matching rules, with mismatch paths.
- ``verify.verify_pact``: a contract checked against the provider's OpenAPI document.
- ``light``: a lighter contract (operations and response fields a consumer uses).
"""

from __future__ import annotations

from orgloop.contracts.pact.body import Mismatch
from orgloop.contracts.pact.errors import PactInvalid, PactTooLarge, PactUnsupported
from orgloop.contracts.pact.matching import match_message, match_request, match_response
from orgloop.contracts.pact.model import Interaction, Pact, parse_pact
from orgloop.contracts.pact.parts import Body, Request, Response

__all__ = [
    "Body",
    "Interaction",
    "Mismatch",
    "Pact",
    "PactInvalid",
    "PactTooLarge",
    "PactUnsupported",
    "Request",
    "Response",
    "match_message",
    "match_request",
    "match_response",
    "parse_pact",
]
