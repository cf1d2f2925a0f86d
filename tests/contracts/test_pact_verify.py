"""Static verification of Pact contracts against the provider's OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from orgloop.contracts.pact import parse_pact
from orgloop.contracts.pact.verify import Problem, verify_pact
from tests.contracts.pact_builders import interaction, pact, petstore


def problems_of(*interactions: dict[str, Any]) -> list[Problem]:
    return verify_pact(parse_pact(pact(*interactions)), petstore())


def test_a_contract_the_document_allows_has_no_problem() -> None:
    body = {
        "id": 1,
        "name": "Rex",
        "tags": [{"name": "dog", "colour": None}],
        "parent": {"id": 2, "name": "Max"},
    }
    assert problems_of(interaction(response={"body": body})) == []


def test_a_path_the_document_lacks_is_reported_with_the_request() -> None:
    [problem] = problems_of(interaction("owners", path="/v1/owners/1"))
    assert (problem.interaction, problem.operation, problem.path) == ("owners", "GET /v1/owners/1", "$.request.path")  # fmt: skip
    assert "no path" in problem.message


def test_a_method_the_path_lacks_is_reported_with_the_methods_it_has() -> None:
    [problem] = problems_of(interaction(method="PUT"))
    assert "has no PUT operation" in problem.message
    assert "GET, DELETE" in problem.message


def test_literal_paths_win_over_templated_ones() -> None:
    assert problems_of(interaction(path="/v1/pets/mine", request={"headers": {}})) == []


@pytest.mark.parametrize(
    ("request_part", "path", "words"),
    [
        ({"path": "/v1/pets/rex"}, "$.request.path.id", "expected integer"),
        ({"headers": {}}, "$.request.headers.X-Request-Id", "required header parameter"),
        (
            {"path": "/v1/pets", "query": {"limit": ["500"]}, "headers": {}},
            "$.request.query.limit",
            "maximum",
        ),
        (
            {"path": "/v1/pets", "query": {"sort": ["name"]}, "headers": {}},
            "$.request.query.sort",
            "not declared",
        ),
    ],
    ids=[
        "path-param-type",
        "missing-required-header",
        "query-param-out-of-range",
        "undeclared-query-param",
    ],
)
def test_request_parameter_problems_name_the_field(request_part: dict[str, Any], path: str, words: str) -> None:  # fmt: skip
    found = problems_of(interaction(request=request_part, response={"body": []} if "query" in request_part else {}))  # fmt: skip
    assert any(p.path == path and words in p.message for p in found), found


def test_repeated_query_params_are_checked_item_by_item() -> None:
    request = {"path": "/v1/pets", "query": {"tag": ["dog", "cat"], "limit": ["10"]}, "headers": {}}
    assert problems_of(interaction(request=request, response={"body": []})) == []


def test_a_request_body_must_fit_the_request_schema() -> None:
    request = {"path": "/v1/pets", "headers": {"Content-Type": "application/json"}, "body": {"nickname": "Rex"}}  # fmt: skip
    found = problems_of(interaction("create", method="POST", status=201, request=request))
    assert {(p.operation, p.path) for p in found} == {
        ("POST /pets", "$.request.body.name"),
        ("POST /pets", "$.request.body.nickname"),
    }


def test_a_required_request_body_must_be_sent() -> None:
    found = problems_of(interaction(method="POST", path="/v1/pets", status=201, request={"headers": {}}))  # fmt: skip
    assert [p.message for p in found] == ["the operation requires a request body"]


def test_an_undocumented_status_is_reported_and_default_covers_any() -> None:
    [problem] = problems_of(interaction(status=500))
    assert problem.path == "$.response.status"
    assert "200, 404" in problem.message
    created = {"path": "/v1/pets", "headers": {}, "body": {"name": "Rex"}}
    assert problems_of(interaction(method="POST", status=409, request=created, response={"body": {"message": "taken"}})) == []  # fmt: skip


def test_a_response_body_must_fit_the_response_schema() -> None:
    [problem] = problems_of(interaction(response={"body": {"id": "one", "name": "Rex"}}))
    assert (problem.operation, problem.path) == ("GET /pets/{id}", "$.response.body.id")


def test_properties_the_consumer_relies_on_must_be_declared() -> None:
    body = {"id": 1, "name": "Rex", "tags": [{"name": "dog", "weight": 3}]}
    [problem] = problems_of(interaction(response={"body": body}))
    assert problem.path == "$.response.body.tags[0].weight"
    assert "not declared" in problem.message


def test_response_headers_the_consumer_expects_must_be_documented() -> None:
    response = {"headers": {"Content-Type": "application/json", "ETag": "x", "X-Rate": "1"}, "body": {"id": 1, "name": "R"}}  # fmt: skip
    [problem] = problems_of(interaction(response=response))
    assert problem.path == "$.response.headers.X-Rate"


def test_a_body_where_the_document_has_none_is_reported() -> None:
    [problem] = problems_of(
        interaction(method="DELETE", status=204, response={"body": {"ok": True}})
    )
    assert problem.path == "$.response.body"
    assert "no content" in problem.message


def test_a_broken_reference_is_a_problem_not_a_crash() -> None:
    document = petstore()
    document["paths"]["/pets/mine"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {"$ref": "#/components/schemas/Nope"}  # fmt: skip
    found = verify_pact(parse_pact(pact(interaction(path="/v1/pets/mine", request={"headers": {}}, response={"body": {"id": 1}}))), document)  # fmt: skip
    assert any("does not exist" in p.message for p in found)


def test_problems_read_as_one_line() -> None:
    [problem] = problems_of(interaction("pet 1", status=500))
    assert str(problem).startswith("pet 1 [GET /pets/{id}] $.response.status: status 500")
