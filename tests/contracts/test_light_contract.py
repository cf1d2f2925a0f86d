"""The light contract: operations and response fields a consumer declares it uses."""

from __future__ import annotations

import pytest

from orgloop.contracts.pact.errors import PactInvalid, PactTooLarge
from orgloop.contracts.pact.light import LightProblem, check_light, parse_light
from tests.contracts.pact_builders import petstore

CONTRACT = """
consumer: checkout
provider: pets
api: pets-api
uses:
  - operation: GET /pets/{petId}
    fields: [id, name, "tags[].name", parent.parent.id]
  - operation: GET /pets
    fields: ["[].name"]
  - operation: POST /pets
    status: 201
    fields: [id]
  - operation: DELETE /pets/{id}
"""


def problems(text: str) -> list[LightProblem]:
    return check_light(parse_light(text), petstore())


def test_a_contract_the_document_satisfies_has_no_problem() -> None:
    contract = parse_light(CONTRACT)
    assert (contract.consumer, contract.provider, contract.api) == ("checkout", "pets", "pets-api")
    assert contract.uses[0].operation == "GET /pets/{petId}"
    assert check_light(contract, petstore()) == []


def test_missing_operations_are_reported() -> None:
    text = CONTRACT + "  - operation: GET /owners\n  - operation: PATCH /pets/{id}\n"
    assert [(p.operation, p.message) for p in problems(text)] == [
        ("GET /owners", "the document has no path /owners"),
        ("PATCH /pets/{id}", "/pets/{id} has no PATCH operation"),
    ]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("colour", "'colour' is not declared in the response body"),
        ("tags[].weight", "'weight' is not declared in tags[]"),
        ("name[]", "name[] is not an array in the schema"),
    ],
)
def test_missing_fields_are_reported_with_the_field(field: str, message: str) -> None:
    text = f"consumer: c\nprovider: p\napi: a\nuses:\n  - operation: GET /pets/{{id}}\n    fields: ['{field}']\n"  # fmt: skip
    assert problems(text) == [LightProblem("GET /pets/{id}", field, message)]


def test_fields_of_an_operation_without_a_response_body_are_reported() -> None:
    text = "consumer: c\nprovider: p\napi: a\nuses:\n  - operation: DELETE /pets/{id}\n    fields: [id]\n"
    [problem] = problems(text)
    assert "204 response documents no body" in problem.message


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("consumer: c\nprovider: p\nuses: [{operation: GET /pets}]", "$.api"),
        ("consumer: c\nprovider: p\napi: a\nuses: []", "$.uses"),
        (
            "consumer: c\nprovider: p\napi: a\nuses: [{operation: fetch pets}]",
            "$.uses[0].operation",
        ),
        (
            "consumer: c\nprovider: p\napi: a\nuses: [{operation: GET /pets, fields: [a..b]}]",
            "$.uses[0].fields[0]",
        ),
        (
            "consumer: c\nprovider: p\napi: a\nuses: [{operation: GET /pets, status: 999}]",
            "$.uses[0].status",
        ),
        ("consumer: [unclosed", "$"),
    ],
    ids=["no-api", "no-uses", "bad-operation", "bad-field", "bad-status", "bad-yaml"],
)
def test_bad_contracts_are_refused_with_the_path(text: str, path: str) -> None:
    with pytest.raises(PactInvalid) as caught:
        parse_light(text)
    assert caught.value.details["errors"][0]["path"] == path


def test_oversized_contracts_are_refused() -> None:
    with pytest.raises(PactTooLarge):
        parse_light(CONTRACT, max_bytes=50)
