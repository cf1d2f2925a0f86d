"""Deprecation and sunset as pure logic: deprecated operations still used, old major versions
still needed, and their sunset dates."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from orgloop.contracts.candeploy.compat import Contract
from orgloop.contracts.sunset.uses import (
    ProviderVersion,
    deprecated_operations,
    matches,
    parse_date,
    provider_uses,
)
from tests.contracts.registry_builders import CHECKOUT_LIGHT, checkout_pact, orders_api


def orders(version: str, *, sunset: str | None = None, info_sunset: str | None = None,
           with_total: bool = True, deprecated: bool = False) -> ProviderVersion:  # fmt: skip
    """The orders API at ``version``; GET /orders/{id} deprecated when asked (with its sunset)."""
    document = copy.deepcopy(orders_api(with_total=with_total, version=version))
    operation = document["paths"]["/orders/{id}"]["get"]
    if deprecated or sunset:
        operation["deprecated"] = True
    if sunset:
        operation["x-sunset"] = sunset
    if info_sunset:
        document["info"]["x-sunset"] = info_sunset
    return ProviderVersion(version, document)


def light(version: str = "3.1.0") -> Contract:
    return Contract("checkout", version, "orders", "light", yaml.safe_load(CHECKOUT_LIGHT))


def pact() -> Contract:
    return Contract("checkout", "3.1.0", "orders", "pact", checkout_pact())


def uses(running: list[ProviderVersion], contracts: list[Contract], latest: ProviderVersion | None = None) -> Any:  # fmt: skip
    return provider_uses(
        provider="orders", environment="production", running=running,
        latest=latest or max(running, key=lambda p: p.version), contracts=contracts,
    )  # fmt: skip


@pytest.mark.parametrize("contract", [light(), pact()], ids=["light", "pact"])
def test_a_consumer_of_a_deprecated_operation_is_reported_with_its_sunset(contract: Contract) -> None:  # fmt: skip
    [use] = uses([orders("1.1.0", sunset="2026-06-30")], [contract])
    assert use.kind == "deprecated_operation"
    assert (use.consumer, use.consumer_version, use.provider_version) == ("checkout", "3.1.0", "1.1.0")  # fmt: skip
    assert use.operation == "GET /orders/{id}"
    assert use.sunset == dt.date(2026, 6, 30)
    assert use.days_left(dt.date(2026, 1, 1)) == 180
    assert "sunset 2026-06-30" in use.detail


def test_an_operation_that_is_not_deprecated_or_not_used_is_not_reported() -> None:
    assert uses([orders("1.0.0")], [light()]) == []
    unused = orders("1.1.0", sunset="2026-06-30")
    unused.document["paths"]["/orders/{id}"]["get"]["deprecated"] = False
    assert uses([unused], [light()]) == []


def test_without_an_operation_sunset_the_documents_sunset_is_the_deadline() -> None:
    [use] = uses([orders("1.1.0", deprecated=True, info_sunset="2026-03-31")], [light()])
    assert use.sunset == dt.date(2026, 3, 31)
    [undated] = uses([orders("1.1.0", deprecated=True)], [light()])
    assert undated.sunset is None
    assert "no sunset date" in undated.detail


def test_a_consumer_that_still_needs_an_old_major_version_is_reported() -> None:
    old = orders("1.2.0", info_sunset="2026-03-31")
    new = orders("2.0.0", with_total=False)
    [use] = uses([new, old], [light()])
    assert use.kind == "old_major_version"
    assert (use.provider_version, use.latest_version) == ("1.2.0", "2.0.0")
    assert use.sunset == dt.date(2026, 3, 31)
    assert "total" in use.detail


def test_a_consumer_whose_contract_holds_on_the_newest_major_is_not_on_the_old_one() -> None:
    assert uses([orders("2.0.0"), orders("1.2.0")], [light()]) == []


def test_the_newest_running_version_names_a_deprecation_once() -> None:
    running = [orders("1.1.0", sunset="2026-06-30"), orders("1.2.0", sunset="2026-05-31")]
    [use] = uses(running, [light()])
    assert (use.provider_version, use.sunset) == ("1.2.0", dt.date(2026, 5, 31))


def test_deprecated_operations_lists_each_with_its_sunset() -> None:
    assert deprecated_operations(orders("1.1.0", sunset="2026-06-30").document) == [
        ("GET /orders/{id}", dt.date(2026, 6, 30))
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-30", dt.date(2026, 6, 30)),
        ("2026-06-30T00:00:00Z", dt.date(2026, 6, 30)),
        (dt.date(2026, 6, 30), dt.date(2026, 6, 30)),
        ("next year", None),
        (None, None),
    ],
    ids=["date", "datetime-text", "date-object", "not-a-date", "absent"],
)
def test_sunset_dates_are_read_leniently(value: Any, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


segment = st.text(alphabet="abcdefgh0123456789-", min_size=1, max_size=8)


@given(st.lists(st.tuples(segment, st.booleans()), min_size=1, max_size=5), st.sampled_from(["GET", "POST"]))  # fmt: skip
def test_a_template_matches_every_concrete_path_and_no_other_method(
    parts: list[tuple[str, bool]], method: str
) -> None:
    template = "/" + "/".join(f"{{{s}}}" if is_param else s for s, is_param in parts)
    concrete = "/" + "/".join(s for s, _ in parts)
    assert matches(f"{method} {template}", f"{method} {concrete}")
    assert not matches(f"{method} {template}", f"DELETE {concrete}")
    assert not matches(f"{method} {template}", f"{method} {concrete}/extra")
