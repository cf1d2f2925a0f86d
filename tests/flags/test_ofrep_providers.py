"""OpenFeature's OFREP providers, PyPI ``openfeature-provider-ofrep`` and npm
``@openfeature/ofrep-provider`` (with ``@openfeature/server-sdk``, under node), evaluate orgloop's
flags on a live server and get the same values, variants and reasons as orgloop's own OpenFeature
provider evaluating locally; the node run also bulk-evaluates with ``@openfeature/ofrep-core`` and
gets 304 for the ETag it was given."""

from __future__ import annotations

from typing import Any

import httpx
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import FlagEvaluationDetails

from orgloop.app import Services
from orgloop.sdk import Client
from orgloop.sdk.openfeature import OrgloopProvider
from tests.flags.node_sdks import create_flags, require_node, run_node, users
from tests.live import LiveServer
from tests.sdk.server import sdk_key

TYPED = [
    ("dark-mode", "boolean", False),
    ("new-checkout", "boolean", False),
    ("search-v2", "boolean", False),
    ("button-color", "string", "none"),
    ("max-items", "number", 0),
    ("legacy-banner", "boolean", False),
    ("no-such-flag", "boolean", False),
]
NODE_PACKAGES = (
    "@openfeature/server-sdk",
    "@openfeature/ofrep-provider",
    "@openfeature/ofrep-core",
)


def _context(user: dict[str, Any]) -> EvaluationContext:
    attributes = {k: v for k, v in user.items() if k != "id"}
    return EvaluationContext(targeting_key=user["id"], attributes=attributes)


def _details(
    client: OpenFeatureClient, key: str, kind: str, default: Any, user: dict[str, Any]
) -> Any:
    context = _context(user)
    got: FlagEvaluationDetails[Any]
    if kind == "boolean":
        got = client.get_boolean_details(key, default, context)
    elif kind == "string":
        got = client.get_string_details(key, default, context)
    else:
        got = client.get_integer_details(key, default, context)
    error = got.error_code.value if got.error_code else None
    return {"value": got.value, "variant": got.variant, "reason": got.reason, "errorCode": error}


def _reference(url: str, key: str) -> OpenFeatureClient:
    headers = {"Authorization": f"Bearer {key}"}
    ruleset = httpx.get(f"{url}/api/v1/sdk/ruleset", headers=headers).raise_for_status().json()
    api.set_provider(OrgloopProvider(Client(ruleset=ruleset)), domain="orgloop-local")
    return api.get_client("orgloop-local")


def test_the_python_ofrep_provider_answers_as_orgloops_provider(
    services: Services, live_server: LiveServer, admin_token: str
) -> None:
    create_flags(services, live_server.url, admin_token)
    key = sdk_key(services, "production")
    local = _reference(live_server.url, key)
    provider = OFREPProvider(live_server.url, headers_factory=lambda: {"X-API-Key": key})
    api.set_provider(provider, domain="ofrep")
    remote = api.get_client("ofrep")
    reasons = set()
    for user in users(40):
        for flag, kind, default in TYPED:
            want = _details(local, flag, kind, default, user)
            assert _details(remote, flag, kind, default, user) == want, (flag, user)
            reasons.add(want["reason"])
    assert reasons == {"STATIC", "TARGETING_MATCH", "SPLIT", "DEFAULT", "DISABLED", "ERROR"}
    experiment = remote.get_string_details("button-color", "none", _context(users()[1]))
    assert experiment.flag_metadata["experiment_key"] == "button-test"
    api.clear_providers()


def test_the_node_ofrep_provider_answers_as_orgloops_provider(
    services: Services, live_server: LiveServer, admin_token: str
) -> None:
    node = require_node(*NODE_PACKAGES)
    create_flags(services, live_server.url, admin_token)
    key = sdk_key(services, "production")
    local = _reference(live_server.url, key)
    contexts = [
        {"targetingKey": u["id"], **{k: v for k, v in u.items() if k != "id"}} for u in users(40)
    ]
    flags = [{"key": k, "type": t, "default": d} for k, t, d in TYPED]
    got = run_node(
        node,
        "ofrep_eval.mjs",
        {"baseUrl": live_server.url, "sdkKey": key, "flags": flags, "contexts": contexts},
    )
    for user, row in zip(users(40), got["results"], strict=True):
        for flag, kind, default in TYPED:
            want = _details(local, flag, kind, default, user)
            have = row[flag]
            if want["reason"] == "DISABLED":
                # @openfeature/ofrep-provider 0.1.3 reads an answer without "value" (the
                # protocol's "use the default in code") as an error: same value, reason ERROR.
                assert (have["value"], have["reason"]) == (default, "ERROR"), (flag, user)
                continue
            assert have == want, (flag, user)
    bulk = got["bulk"]
    assert bulk["status"] == 200
    assert bulk["etag"]
    assert bulk["again"] == 304
    by_key = {f["key"]: f for f in bulk["flags"]}
    assert set(by_key) == {k for k, _, _ in TYPED if k != "no-such-flag"}
    assert by_key["legacy-banner"] == {
        "key": "legacy-banner",
        "reason": "DISABLED",
        "variant": None,
        "metadata": {},
    }
    api.clear_providers()
