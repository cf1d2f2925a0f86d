"""Reading Pact files (v2, v3, v4) into one model, and matching with the rules they carry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.contracts.pact import (
    PactInvalid,
    PactTooLarge,
    PactUnsupported,
    match_request,
    match_response,
    parse_pact,
)
from orgloop.contracts.pact.parts import Body, Request, Response
from orgloop.contracts.pact.rules import parse_v3_rules
from tests.contracts.pact_builders import interaction, pact

V2_INTERACTION = {
    "description": "pets tagged dog",
    "providerState": "there are dogs",
    "request": {"method": "get", "path": "/pets", "query": "tag=dog&tag=big%20ones"},
    "response": {
        "status": 200,
        "body": {"pets": [{"name": "Rex"}]},
        "matchingRules": {
            "$.body.pets": {"min": 1, "match": "type"},
            "$.headers.ETag": {"regex": "\\w+"},
        },
    },
}
V4_INTERACTION = {
    "type": "Synchronous/HTTP",
    "description": "pets tagged dog",
    "providerStates": [{"name": "there are dogs"}],
    "request": {"method": "GET", "path": "/pets", "query": {"tag": ["dog", "big ones"]}},
    "response": {
        "status": 200,
        "headers": {"Content-Type": ["application/json"]},
        "body": {
            "content": {"pets": [{"name": "Rex"}]},
            "contentType": "application/json",
            "encoded": False,
        },
        "matchingRules": {
            "body": {"$.pets": {"combine": "AND", "matchers": [{"match": "type", "min": 1}]}}
        },
    },
}


def test_v2_and_v4_files_read_into_the_same_model() -> None:
    v2 = parse_pact(json.dumps(pact(V2_INTERACTION, version="2.0.0")))
    v4 = parse_pact(pact(V4_INTERACTION, version="4.0"))
    for parsed in (v2, v4):
        [item] = parsed.interactions
        assert (parsed.consumer, parsed.provider) == ("checkout", "pets")
        assert item.request.method == "GET"
        assert item.request.query == {"tag": ["dog", "big ones"]}
        assert item.response.body.value == {"pets": [{"name": "Rex"}]}
        assert item.provider_states == ("there are dogs",)
        assert item.response.rules.category("body")["$.pets"].matchers[0].get("min") == 1
    assert v2.interactions[0].response.rules.category("header")["ETag"].matchers[0].kind == "regex"


def test_v4_base64_and_string_json_bodies_are_decoded() -> None:
    item = json.loads(json.dumps(V4_INTERACTION))
    item["response"]["body"] = {"content": "eyJhIjogMX0=", "contentType": "application/json", "encoded": "base64"}  # fmt: skip
    item["request"]["body"] = {"content": '{"b": 2}', "contentType": "application/json"}
    [parsed] = parse_pact(pact(item, version="4.0")).interactions
    assert parsed.response.body.value == {"a": 1}
    assert parsed.request.body.value == {"b": 2}


def test_non_http_v4_interactions_are_reported_as_unsupported() -> None:
    message = {"type": "Asynchronous/Messages", "description": "pet adopted", "contents": {}}
    parsed = parse_pact(pact(V4_INTERACTION, message, version="4.0"))
    assert len(parsed.interactions) == 1
    [skipped] = parsed.unsupported
    assert skipped["path"] == "$.interactions[1]"
    assert "'pet adopted'" in skipped["message"]
    assert "Asynchronous/Messages" in skipped["message"]


@pytest.mark.parametrize("version", ["5.0.0", "0.1", "next"])
def test_unknown_specification_versions_are_refused(version: str) -> None:
    with pytest.raises(PactUnsupported, match="not supported"):
        parse_pact(pact(V4_INTERACTION, version=version))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.pop("consumer"), "$.consumer"),
        (lambda d: d["interactions"][0].pop("description"), "$.interactions[0].description"),
        (lambda d: d["interactions"][0]["request"].update(method="FETCH"), "$.interactions[0].request.method"),
        (lambda d: d["interactions"][0]["response"].update(status=99), "$.interactions[0].response.status"),
        (lambda d: d["interactions"][0]["request"].update(query={"a": [1]}), "$.interactions[0].request.query['a']"),
        (
            lambda d: d["interactions"][0]["response"].update(matchingRules={"body": {"$.x": {"matchers": [{"match": "fuzzy"}]}}}),
            "$.interactions[0].response.matchingRules.body['$.x'].matchers[0]",
        ),
        (
            lambda d: d["interactions"][0]["response"].update(matchingRules={"body": {"$.x": {"matchers": [{"match": "regex", "regex": "("}]}}}),
            "$.interactions[0].response.matchingRules.body['$.x'].matchers[0].regex",
        ),
    ],
    ids=["no-consumer", "no-description", "bad-method", "bad-status", "bad-query", "unknown-matcher", "bad-regex"],
)  # fmt: skip
def test_bad_documents_are_refused_with_the_json_path(change: Any, path: str) -> None:
    document = pact(interaction())
    change(document)
    with pytest.raises(PactInvalid) as caught:
        parse_pact(document)
    assert caught.value.details["errors"][0]["path"] == path


def test_invalid_json_and_oversized_documents_are_refused() -> None:
    with pytest.raises(PactInvalid, match="not valid JSON"):
        parse_pact("{not json")
    with pytest.raises(PactTooLarge):
        parse_pact(json.dumps(pact(interaction())), max_bytes=100)
    with pytest.raises(PactTooLarge):
        parse_pact(pact(*[interaction()] * 3), max_interactions=2)
    with pytest.raises(PactInvalid):
        parse_pact("[" * 100_000 + "]" * 100_000)


# Matching with rules beyond the specification's test cases -----------------------------------


def response_with(body: Any, rules: dict[str, Any]) -> Response:
    return Response(status=200, body=Body(True, body), rules=parse_v3_rules({"body": rules}, "$"))


def mismatch_paths(expected: Response, actual_body: Any) -> list[str]:
    return [m.path for m in match_response(expected, Response(status=200, body=Body(True, actual_body)))]  # fmt: skip


def rule(*matchers: dict[str, Any], combine: str = "AND") -> dict[str, Any]:
    return {"matchers": list(matchers), "combine": combine}


@pytest.mark.parametrize(
    ("matcher", "good", "bad"),
    [
        ({"match": "integer"}, 7, 7.5),
        ({"match": "decimal"}, 7.5, 7),
        ({"match": "number"}, 7, "7"),
        ({"match": "boolean"}, True, 1),
        ({"match": "null"}, None, 0),
        ({"match": "include", "value": "cat"}, "a cat here", "a dog"),
        ({"match": "date", "format": "yyyy-MM-dd"}, "2024-02-29", "2023-02-29"),
        ({"match": "time", "format": "HH:mm:ss"}, "23:59:01", "24:00:00"),
        ({"match": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ss.SSSX"}, "2024-01-02T03:04:05.678Z", "2024-01-02 03:04"),
        ({"match": "timestamp"}, "2024-01-02T03:04:05+01:00", "yesterday"),
        ({"match": "semver"}, "1.2.3", "1.2"),
        ({"match": "contentType", "value": "application/json"}, '{"a": 1}', "plain words"),
    ],
    ids=lambda v: v["match"] if isinstance(v, dict) else None,
)  # fmt: skip
def test_value_matchers(matcher: dict[str, Any], good: Any, bad: Any) -> None:
    expected = response_with({"v": good}, {"$.v": rule(matcher)})
    assert mismatch_paths(expected, {"v": good}) == []
    assert mismatch_paths(expected, {"v": bad}) == ["$.body.v"]


def test_or_combination_needs_one_matcher_to_pass() -> None:
    expected = response_with(
        {"v": 1}, {"$.v": rule({"match": "null"}, {"match": "integer"}, combine="OR")}
    )
    assert mismatch_paths(expected, {"v": None}) == []
    assert mismatch_paths(expected, {"v": 2}) == []
    assert set(mismatch_paths(expected, {"v": "x"})) == {"$.body.v"}


def test_array_contains_finds_each_variant_anywhere() -> None:
    variants = [
        {"index": 0, "rules": {"$.id": rule({"match": "integer"})}},
        {"index": 1, "rules": {}},
    ]
    expected = response_with({"items": [{"id": 1}, {"kind": "admin"}]}, {"$.items": rule({"match": "arrayContains", "variants": variants})})  # fmt: skip
    assert (
        mismatch_paths(expected, {"items": [{"kind": "user"}, {"kind": "admin"}, {"id": 9}]}) == []
    )
    assert mismatch_paths(expected, {"items": [{"id": 9}]}) == ["$.body.items"]


def test_each_key_and_each_value_check_every_entry_of_a_map() -> None:
    rules = {"$.prices": rule({"match": "eachKey", "rules": [{"match": "regex", "regex": "[A-Z]{3}"}]}, {"match": "eachValue", "rules": [{"match": "decimal"}]})}  # fmt: skip
    expected = response_with({"prices": {"EUR": 1.5}}, rules)
    assert mismatch_paths(expected, {"prices": {"USD": 2.5, "GBP": 0.5}}) == []
    assert sorted(mismatch_paths(expected, {"prices": {"usd": 2.5, "GBP": 3}})) == ["$.body.prices", "$.body.prices.GBP"]  # fmt: skip


def test_mismatches_carry_the_path_of_the_value() -> None:
    expected = response_with({"animals": [{"name": "Fred"}]}, {"$.animals": rule({"match": "type", "min": 1})})  # fmt: skip
    [mismatch] = match_response(expected, Response(status=200, body=Body(True, {"animals": [{"name": "A"}, {"name": 3}]})))  # fmt: skip
    assert mismatch.path == "$.body.animals[1].name"
    assert "same type" in mismatch.message


def test_requests_refuse_unexpected_keys_and_responses_allow_them() -> None:
    body = {"name": "Rex"}
    request = Request(method="POST", path="/pets", body=Body(True, body))
    actual = Request(method="POST", path="/pets", body=Body(True, {"name": "Rex", "age": 3}))
    assert [m.path for m in match_request(request, actual)] == ["$.body"]
    assert (
        mismatch_paths(Response(status=200, body=Body(True, body)), {"name": "Rex", "age": 3}) == []
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(json_values)
def test_any_body_matches_itself_as_request_and_response(value: Any) -> None:
    assert match_request(Request(body=Body(True, value)), Request(body=Body(True, value))) == []
    assert match_response(Response(body=Body(True, value)), Response(body=Body(True, value))) == []


@given(json_values)
def test_a_type_rule_at_the_root_accepts_any_value_of_the_same_shape(value: Any) -> None:
    expected = response_with(value, {"$": rule({"match": "type"})})
    assert match_response(expected, Response(status=200, body=Body(True, value))) == []
