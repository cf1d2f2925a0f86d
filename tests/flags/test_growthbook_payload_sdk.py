"""GrowthBook's JavaScript SDK (npm ``@growthbook/growthbook``, under node) loads orgloop's flags
from a live server with its own ``apiHost``/``clientKey`` loading, evaluates them locally and gives
every user the same values and variations as orgloop's SDK; its ``trackingCallback`` (the snippet
in docs/flags.md) sends the exposures to orgloop's event ingest, where they are stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from orgloop.app import Services, create_app
from orgloop.kernel.clock import FixedClock
from orgloop.sdk import Client
from tests.flags.node_sdks import FLAG_KEYS, HERE, ROOT, create_flags, require_node, run_node, users
from tests.live import LiveServer
from tests.sdk.server import sdk_key

GROWTHBOOK = "@growthbook/growthbook"


@pytest.fixture
def clock() -> FixedClock:
    """Now: the SDK stamps exposures with the real time, which the ingest checks."""
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def live(services: Services) -> Iterator[LiveServer]:
    with LiveServer(create_app(services=services)) as server:
        yield server


def _reference(url: str, key: str) -> tuple[list[dict[str, Any]], set[tuple[str, str, str]]]:
    """orgloop's SDK on the same ruleset: each user's results and the exposures it would send."""
    headers = {"Authorization": f"Bearer {key}"}
    ruleset = httpx.get(f"{url}/api/v1/sdk/ruleset", headers=headers).raise_for_status().json()
    rows, exposures = [], set()
    with Client(ruleset=ruleset) as client:
        for user in users():
            row = {}
            for flag in FLAG_KEYS:
                r = client.evaluate(flag, user)
                variation = r.variation_key if r.in_experiment else None
                source = "defaultValue" if r.source == "disabled" else r.source
                row[flag] = {"value": r.value, "source": source, "variation": variation}
                if r.in_experiment:
                    exposures.add((str(r.hash_value), str(r.experiment_key), str(variation)))
            rows.append(row)
    return rows, exposures


def test_the_growthbook_js_sdk_evaluates_orgloops_flags_like_orgloops_sdk(
    services: Services, live: LiveServer, admin_token: str
) -> None:
    node = require_node(GROWTHBOOK)
    create_flags(services, live.url, admin_token)
    key = sdk_key(services, "production")
    expected, exposures = _reference(live.url, key)
    got = run_node(
        node,
        "growthbook_eval.mjs",
        {
            "apiHost": f"{live.url}/growthbook",
            "clientKey": key,
            "orgloopUrl": live.url,
            "flags": FLAG_KEYS,
            "users": users(),
        },
    )
    assert got["source"] == "network"  # loaded over HTTP from orgloop, not a cache
    for user, want, have in zip(users(), expected, got["results"], strict=True):
        assert have == want, user["id"]
    # The experiment, the rollout and the targeting rules all took both branches for someone.
    for flag in ("button-color", "search-v2", "new-checkout", "max-items"):
        assert len({str(row[flag]["value"]) for row in expected}) > 1, flag
    assert exposures
    assert len(got["ingest"]) == len(exposures)
    assert all(answer["accepted"] == 1 and not answer["rejected"] for answer in got["ingest"])
    stored = (
        services.event_store()
        .cursor()
        .execute("SELECT unit, experiment, variant, environment FROM exposures")
    )
    assert {(u, e, v) for u, e, v, env in stored.fetchall() if env == "production"} == exposures


def test_the_docs_show_the_tracking_callback_the_test_runs() -> None:
    snippet = (HERE / "growthbook_tracking.mjs").read_text().strip()
    assert snippet in (ROOT / "docs" / "flags.md").read_text()
