"""Operations, parameters, bodies and responses: the findings a reviewer expects to see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from orgloop.contracts.openapi.diff import diff
from orgloop.contracts.openapi.loader import load_document
from orgloop.contracts.openapi.policy import Policy
from tests.conformance import SUITES
from tests.contracts.builders import changes, ids, pets_spec


@pytest.fixture
def base() -> dict[str, Any]:
    return pets_spec()


@pytest.fixture
def rev() -> dict[str, Any]:
    return pets_spec()


def test_removed_path_without_deprecation_is_an_error(
    base: dict[str, Any], rev: dict[str, Any]
) -> None:
    del rev["paths"]["/pets/{id}"]
    (change,) = changes(base, rev)
    assert (change.id, change.level, change.operation) == (
        "api-path-removed-without-deprecation",
        "error",
        "GET /pets/{id}",
    )
    assert change.path == "/paths/~1pets~1{id}/get"


@pytest.mark.parametrize(
    ("sunset", "expected"),
    [
        pytest.param("2999-01-01", {"api-path-removed-before-sunset"}, id="before-sunset"),
        pytest.param("2000-01-01", set(), id="after-sunset"),
        pytest.param(None, {"api-path-removed-with-deprecation"}, id="no-sunset"),
    ],
)
def test_removing_a_deprecated_path_respects_its_sunset(
    base: dict[str, Any], rev: dict[str, Any], sunset: str | None, expected: set[str]
) -> None:
    base["paths"]["/pets/{id}"]["get"]["deprecated"] = True
    if sunset:
        base["paths"]["/pets/{id}"]["get"]["x-sunset"] = sunset
    del rev["paths"]["/pets/{id}"]
    assert ids(changes(base, rev)) == expected


def test_path_parameter_renames_are_not_changes(base: dict[str, Any], rev: dict[str, Any]) -> None:
    item = rev["paths"].pop("/pets/{id}")
    item["get"]["parameters"][0]["name"] = "petId"
    rev["paths"]["/pets/{petId}"] = item
    assert "api-path-removed-without-deprecation" not in ids(changes(base, rev))


def test_deprecation_needs_enough_sunset_notice(base: dict[str, Any], rev: dict[str, Any]) -> None:
    rev["paths"]["/pets/{id}"]["get"].update(deprecated=True, **{"x-sunset": "2030-01-10"})
    policy = Policy(versioning=False, sunset_days_stable=30)
    soon = changes(base, rev, policy)
    assert ids(soon) <= {"endpoint-deprecated-with-sunset"}
    rev["paths"]["/pets/{id}"]["get"]["x-sunset"] = str(dt.date.today() + dt.timedelta(days=3))
    assert "api-sunset-date-too-small" in ids(changes(base, rev, policy))


def test_new_required_parameter_and_enum_narrowed(
    base: dict[str, Any], rev: dict[str, Any]
) -> None:
    params = rev["paths"]["/pets/{id}"]["get"]["parameters"]
    params.append({"name": "owner", "in": "query", "required": True, "schema": {"type": "string"}})
    params[1]["schema"]["enum"] = ["all"]
    found = {c.id: c for c in changes(base, rev)}
    assert found["new-required-request-parameter"].level == "error"
    assert found["request-parameter-enum-value-removed"].path.endswith(
        "/parameters/query/fields/schema"
    )


def test_request_property_tightened_and_made_required(
    base: dict[str, Any], rev: dict[str, Any]
) -> None:
    pet = rev["components"]["schemas"]["Pet"]
    pet["properties"]["name"]["maxLength"] = 20
    pet["required"].append("kind")
    found = ids(changes(base, rev))
    assert {"request-property-max-length-decreased", "request-property-became-required"} <= found


def test_response_property_became_optional_and_enum_grew(
    base: dict[str, Any], rev: dict[str, Any]
) -> None:
    pet = rev["components"]["schemas"]["Pet"]
    pet["required"] = ["id"]
    pet["properties"]["kind"]["enum"].append("bird")
    found = {c.id: c for c in changes(base, rev)}
    assert found["response-property-became-optional"].operation == "GET /pets/{id}"
    assert found["response-property-enum-value-added"].level == "warning"


def test_success_status_media_type_and_header_removed(
    base: dict[str, Any], rev: dict[str, Any]
) -> None:
    ok = rev["paths"]["/pets/{id}"]["get"]["responses"]["200"]
    ok.pop("headers")
    ok["content"] = {"application/xml": ok["content"]["application/json"]}
    rev["paths"]["/pets"]["post"]["responses"] = {"202": {"description": "accepted"}}
    found = ids(changes(base, rev))
    assert {
        "required-response-header-removed",
        "response-media-type-removed",
        "response-success-status-removed",
    } <= found


def test_x_stability_level_decrease_is_breaking(base: dict[str, Any], rev: dict[str, Any]) -> None:
    rev["paths"]["/pets/{id}"]["get"]["x-stability-level"] = "beta"
    assert ids(changes(base, rev)) == {"api-stability-decreased"}


def test_alpha_operations_are_below_the_default_threshold(
    base: dict[str, Any], rev: dict[str, Any]
) -> None:
    for doc in (base, rev):
        doc["paths"]["/pets/{id}"]["get"]["x-stability-level"] = "alpha"
    rev["paths"]["/pets/{id}"]["get"]["parameters"][1]["required"] = True
    assert changes(base, rev) == []
    assert ids(changes(base, rev, Policy(versioning=False, stability_threshold="draft"))) == {
        "request-parameter-became-required"
    }


_RENAMES = ["method", "op", "op-ref", "two", "one-of-two"]


@pytest.mark.parametrize("case", _RENAMES)
def test_renaming_a_path_parameter_is_no_change(case: str) -> None:
    """oasdiff's param-rename pairs: the URL a client sends is the same, so nothing is reported."""
    data = SUITES / "oasdiff" / "data" / "param-rename"
    if not data.exists():
        pytest.skip(f"oasdiff conformance suite not found under {SUITES}")
    base_file, rev_file = (
        (data / "op-base-ref.yaml", data / "op-revision-ref.yaml")
        if case == "op-ref"
        else (data / f"{case}-base.yaml", data / f"{case}-revision.yaml")
    )
    assert diff(load_document(base_file), load_document(rev_file)) == []


def test_a_renamed_path_parameter_still_shows_its_real_changes(
    base: dict[str, Any], rev: dict[str, Any]
) -> None:
    item = rev["paths"].pop("/pets/{id}")
    for param in item["get"].get("parameters", []) + item.get("parameters", []):
        if param.get("in") == "path":
            param["name"] = "petId"
            param["schema"] = {"type": "string"}
    rev["paths"]["/pets/{petId}"] = item
    found = changes(base, rev)
    assert {c.operation for c in found} == {"GET /pets/{petId}"}
    assert "request-parameter-type-changed" in ids(found)
    assert not {"new-request-path-parameter", "request-parameter-removed"} & ids(found)
