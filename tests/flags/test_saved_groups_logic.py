"""Which groups rules name, and the payload carrying exactly those (pure logic, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.flags.groups import rule_groups, unknown_group_errors, users_of
from orgloop.flags.models import EnvironmentConfig, Flag, SavedGroup
from orgloop.flags.payload import build_payload, etag_of

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _flag(key: str, envs: dict[str, list[dict[str, Any]]]) -> Flag:
    return Flag(key=key, type="boolean", default_value=False, owner="group:default/t", tags=[],
                description="", created_at=AT, updated_at=AT,
                environments={e: EnvironmentConfig(enabled=True, rules=r) for e, r in envs.items()})  # fmt: skip


def _group(key: str, values: list[Any]) -> SavedGroup:
    return SavedGroup(key=key, owner="t", description="", values=values,
                      created_at=AT, updated_at=AT)  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param(
            {"condition": {"id": {"$inGroup": "a"}}},
            [("rules[0].condition.id.$inGroup", "a")],
            id="top-level",
        ),
        pytest.param(
            {"condition": {"$and": [{"$not": {"org": {"$notInGroup": "b"}}}]}},
            [("rules[0].condition.$and[0].$not.org.$notInGroup", "b")],
            id="nested",
        ),
        pytest.param(
            {"parent_conditions": [{"flag": "p", "condition": {"value": {"$inGroup": "c"}}}]},
            [("rules[0].parent_conditions[0].condition.value.$inGroup", "c")],
            id="parent-condition",
        ),
        pytest.param({"condition": {"id": {"$inGroup": 3}}}, [], id="not-a-name"),
    ],
)
def test_rule_groups_finds_each_reference_at_the_validators_path(
    rule: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert list(rule_groups([rule])) == expected
    prefixed = unknown_group_errors([rule], known=set(), path="environments.prod.")
    assert [e["path"] for e in prefixed] == [f"environments.prod.{p}" for p, _ in expected]
    assert unknown_group_errors([rule], known={"a", "b", "c"}) == []


def test_users_of_names_each_flag_with_the_environments_using_the_group() -> None:
    rule = {"kind": "force", "condition": {"id": {"$inGroup": "beta"}}, "value": True}
    flags = [_flag("b", {"prod": [rule], "dev": [rule]}), _flag("a", {"prod": [], "qa": [rule]})]
    assert users_of("beta", flags) == {"a": ["qa"], "b": ["dev", "prod"]}
    assert users_of("other", flags) == {}


names = st.sampled_from(["g1", "g2", "g3", "g4"])


@given(named=st.lists(names, unique=True), values=st.lists(st.text(max_size=5), max_size=5))
def test_the_payload_carries_exactly_the_named_groups_and_their_values_set_the_etag(
    named: list[str], values: list[str]
) -> None:
    rules = [{"kind": "force", "condition": {"id": {"$inGroup": g}}, "value": True} for g in named]
    flags = [_flag("f", {"prod": rules})]
    groups = [_group(g, values) for g in ["g1", "g2", "g3", "g4"]]
    payload = build_payload(flags, "prod", groups)
    assert sorted(payload["saved_groups"]) == sorted(named)
    assert build_payload(flags, "dev", groups)["saved_groups"] == {}
    if named:
        changed = [_group(g.key, [*values, "new"]) for g in groups]
        assert etag_of(build_payload(flags, "prod", changed)) != etag_of(payload)
