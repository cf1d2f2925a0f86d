"""Who may change what: every write endpoint of the app x every kind of caller.

The resource of each row belongs to team ``checkout``.  The callers: no token, a viewer, an SDK
key of each environment, a member of the owning team (``checkout``: their own resource), a
member of another team (``discovery``: another team's resource), an admin.  Each cell is the
status that caller gets; every 403 is in the audit log (``access.denied``).  The rows are checked
against the app's routes, so a new write endpoint without a row fails here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from tests.catalog.builders import component, shop_payload
from tests.contracts.registry_builders import CHECKOUT_LIGHT, checkout_pact, orders_api
from tests.experiments.analysis_data import METRICS_YAML

from orgloop.app import Services, create_app

CALLERS = ("anon", "viewer", "sdk-prod", "sdk-stag", "owner", "other", "admin")

# fmt: off
MATRIX = """
operation                                                          anon viewer sdk-prod sdk-stag owner other admin
PUT    /api/v1/catalog/entities                                     401  403    403      403      200   403   200
DELETE /api/v1/catalog/entities/{kind}/{namespace}/{name}           401  403    403      403      204   403   204
POST   /api/v1/catalog/import                                       401  403    403      403      200   403   200
POST   /api/v1/events                                               401  403    200      200      200   200   200
POST   /api/v1/experiments                                          401  403    403      403      201   403   201
POST   /api/v1/experiments/{key}/analysis                           401  403    403      403      200   403   200
POST   /api/v1/experiments/{key}/decision                           401  403    403      403      201   403   201
POST   /api/v1/experiments/{key}/start                              401  403    403      403      200   403   200
POST   /api/v1/experiments/{key}/stop                               401  403    403      403      200   403   200
POST   /api/v1/flags                                                401  403    403      403      201   403   201
DELETE /api/v1/flags/{key}                                          401  403    403      403      204   403   204
PATCH  /api/v1/flags/{key}                                          401  403    403      403      200   403   200
PUT    /api/v1/flags/{key}/environments/{env}                       401  403    403      403      200   403   200
POST   /api/v1/flags/{key}/environments/{env}/toggle                401  403    403      403      200   403   200
POST   /api/v1/flags/{key}/explain                                  401  200    403      403      200   200   200
POST   /api/v1/flags/{key}/kill                                     401  403    403      403      200   403   200
POST   /api/v1/insights/imports/{source}                            401  403    403      403      200   403   200
POST   /api/v1/insights/whatif                                      401  200    403      403      200   200   200
POST   /api/v1/saved-groups                                         401  403    403      403      201   403   201
DELETE /api/v1/saved-groups/{key}                                   401  403    403      403      204   403   204
PUT    /api/v1/saved-groups/{key}                                   401  403    403      403      200   403   200
POST   /api/v1/services/{consumer}/contracts                        401  403    403      403      201   403   201
POST   /api/v1/services/{provider}/verifications                    401  403    403      403      201   403   201
POST   /api/v1/services/{service}/api-versions                      401  403    403      403      201   403   201
POST   /api/v1/services/{service}/deployments                       401  403    403      403      201   403   201
POST   /api/v1/services/{service}/deployments/end                   401  403    403      403      204   403   204
POST   /api/v1/services/{service}/releases                          401  403    403      403      201   403   201
POST   /api/v1/services/{service}/releases/end                      401  403    403      403      204   403   204
POST   /api/v1/tokens                                               401  403    403      403      403   403   201
DELETE /api/v1/tokens/{token_id}                                    401  403    403      403      403   403   200
POST   /pact-broker/contracts/publish                               401  403    403      403      200   403   200
PATCH  /pact-broker/deployed-versions/{row_id}                      401  403    403      403      200   403   200
POST   /pact-broker/environments                                    401  403    403      403      403   403   201
POST   /pact-broker/pacticipants                                    401  403    403      403      201   403   201
PATCH  /pact-broker/pacticipants/{pacticipant}                      401  403    403      403      200   403   200
PUT    /pact-broker/pacticipants/{pacticipant}                      401  403    403      403      200   403   200
PUT    /pact-broker/pacticipants/{pacticipant}/branches/{branch}/versions/{version}    401 403 403 403 200 403 200
PUT    /pact-broker/pacticipants/{pacticipant}/versions/{version}                      401 403 403 403 200 403 200
PUT    /pact-broker/pacticipants/{pacticipant}/versions/{version}/tags/{tag}           401 403 403 403 201 403 201
POST   /pact-broker/pacticipants/{pacticipant}/versions/{version}/{path}/environment/{uuid}  401 403 403 403 201 403 201
POST   /pact-broker/pacts/provider/{provider}/consumer/{consumer}/pact-version/{digest}/verification-results  401 403 403 403 201 403 201
POST   /pact-broker/pacts/provider/{provider}/for-verification      401  200    403      403      200   200   200
PATCH  /pact-broker/released-versions/{row_id}                      401  403    403      403      200   403   200
POST   /v1/traces                                                   401  403    200      200      200   200   200
"""
# fmt: on

NOT_API_WRITES = {
    "POST /login": "starts a dashboard session from a token (tests/kernel/test_hardening.py)",
    "POST /logout": "ends a dashboard session",
    "POST /flags/{key}/kill": "the dashboard's form over the kill route above, behind a CSRF "
    "token (tests/web/test_flag_actions.py)",
    "POST /flags/{key}/restore": "the dashboard's form, as the kill form",
    "POST /ofrep/v1/evaluate/flags": "an SDK evaluation (a read sent as POST by the protocol)",
    "POST /ofrep/v1/evaluate/flags/{key}": "an SDK evaluation of one flag",
}


def _table() -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for line in MATRIX.strip().splitlines()[1:]:
        method, path, *cells = line.split()
        assert len(cells) == len(CALLERS), line
        rows[f"{method} {path}"] = dict(zip(CALLERS, map(int, cells), strict=True))
    return rows


EXPECTED = _table()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Who may do what does not depend on the database: SQLite only (both run elsewhere)."""
    return f"sqlite:///{tmp_path / 'orgloop.db'}"


@dataclass
class World:
    admin: TestClient
    tokens: dict[str, dict[str, str]]
    services: Services
    row: int = 0

    def key(self, caller: str) -> str:
        """A name of its own for each cell's resource."""
        return f"r{self.row}-{caller}"


@pytest.fixture
def world(services: Services, admin_token: str) -> Iterator[World]:
    with TestClient(create_app(services=services), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        imported = client.post("/api/v1/catalog/import", json={"entities": shop_payload()})
        assert imported.status_code == 200, imported.text
        tokens = {"anon": {}, "admin": {"Authorization": f"Bearer {admin_token}"}}
        for caller, body in {
            "viewer": {"role": "viewer"},
            "sdk-prod": {"role": "sdk", "environment": "production"},
            "sdk-stag": {"role": "sdk", "environment": "staging"},
            "owner": {"role": "member", "team": "checkout"},
            "other": {"role": "member", "team": "discovery"},
        }.items():
            created = client.post("/api/v1/tokens", json={"name": caller, **body})
            assert created.status_code == 201, created.text
            tokens[caller] = {"Authorization": f"Bearer {created.json()['secret']}"}
        yield World(client, tokens, services)


def test_every_write_endpoint_has_a_row(services: Services) -> None:
    app = create_app(services=services)
    writes = set()
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            api_route: Any = route
            for method in api_route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
                writes.add(f"{method} {api_route.path_format}")
    missing = sorted(writes - set(EXPECTED) - set(NOT_API_WRITES))
    assert not missing, "write endpoints without a row in MATRIX:\n" + "\n".join(missing)
    assert sorted(set(EXPECTED) - writes) == [], "rows for endpoints that do not exist"


# -- how each row's request is made: a fresh resource of team checkout for every caller -------

Request = tuple[str, Any]  # (url, json body or None)
Build = Callable[[World, str], Request]
METRICS = yaml.safe_load(METRICS_YAML)["metrics"]


def _ok(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def _flag(w: World, key: str) -> str:
    body = {"key": key, "owner": "checkout", "type": "boolean", "default_value": False}
    _ok(w.admin.post("/api/v1/flags", json=body))
    return key


def _experiment(w: World, key: str, *, state: str = "draft") -> str:
    body = {
        "key": key,
        "hypothesis": "a shorter checkout sells more",
        "owner": "checkout",
        "flag_key": key,
        "variations": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
        "primary_metrics": [METRICS[0]],
    }
    _ok(w.admin.post("/api/v1/experiments", json=body))
    if state in ("running", "stopped"):
        _ok(w.admin.post(f"/api/v1/experiments/{key}/start"))
    if state == "stopped":
        _ok(w.admin.post(f"/api/v1/experiments/{key}/stop"))
    return key


def _entity(w: World, name: str) -> dict[str, Any]:
    return component(name, "checkout")


def _put_entity(w: World, name: str) -> str:
    _ok(w.admin.put("/api/v1/catalog/entities", json=_entity(w, name)))
    return name


def _deploy(w: World, service: str, version: str, kind: str = "deployments") -> None:
    body = {"version": version, "environment": "production"}
    _ok(w.admin.post(f"/api/v1/services/{service}/{kind}", json=body))


def _running(w: World, version: str, kind: str) -> str:
    """checkout ``version`` deployed (or released) to production; the URL of such records."""
    _deploy(w, "checkout", version, kind)
    return f"/api/v1/services/checkout/{kind}"


def _saved_group(w: World, key: str) -> str:
    _ok(
        w.admin.post(
            "/api/v1/saved-groups", json={"key": key, "owner": "checkout", "values": ["u"]}
        )
    )
    return key


def _broker_row(w: World, caller: str, kind: str) -> int:
    version = f"9.{CALLERS.index(caller)}.0"
    _deploy(w, "checkout", version, kind)
    path = "deployed-versions" if kind == "deployments" else "released-versions"
    env = next(
        e
        for e in _ok(w.admin.get("/pact-broker/environments"))["_embedded"]["environments"]
        if e["name"] == "production"
    )
    listing = _ok(
        w.admin.get(
            f"/pact-broker/environments/{env['uuid']}/{path}/currently-"
            f"{'deployed' if kind == 'deployments' else 'supported'}"
        )
    )
    rows = (
        listing["_embedded"][path.replace("-", "")]
        if path.replace("-", "") in listing["_embedded"]
        else next(iter(listing["_embedded"].values()))
    )
    return int(
        next(
            r
            for r in rows
            if r.get("version", {}).get("number") == version or version in json.dumps(r)
        )["_links"]["self"]["href"].rsplit("/", 1)[1]
    )


def _pact_digest(w: World) -> str:
    """A pact of storefront's on payments (team checkout's): its verifications are checkout's."""
    pact = checkout_pact()
    pact["consumer"]["name"], pact["provider"]["name"] = "storefront", "payments"
    body = {"consumer_version": "3.1.0", "provider": "payments", "kind": "pact", "content": pact}
    _ok(w.admin.post("/api/v1/services/storefront/contracts", json=body))
    return str(
        _ok(w.admin.get("/api/v1/contracts", params={"consumer": "storefront"}))[0]["digest"]
    )


def _production_uuid(w: World) -> str:
    environments = _ok(w.admin.get("/pact-broker/environments"))["_embedded"]["environments"]
    for env in environments:
        if env["name"] == "production":
            return str(env["uuid"])
    created = _ok(
        w.admin.post("/pact-broker/environments", json={"name": "production", "production": True})
    )
    return str(created["uuid"])


def _n(caller: str) -> int:
    return CALLERS.index(caller)


def _event_batch(caller: str) -> dict[str, Any]:
    event = {
        "id": f"auth-{caller}",
        "type": "track",
        "unit": "u1",
        "event": "purchase",
        "timestamp": "2025-12-31T13:00:00Z",
    }
    return {"events": [event]}


def _otlp(caller: str) -> dict[str, Any]:
    return {"resourceSpans": []}


BUILDS: dict[str, Build] = {
    "PUT /api/v1/catalog/entities": lambda w, c: (
        "/api/v1/catalog/entities",
        _entity(w, w.key(c)),
    ),
    "DELETE /api/v1/catalog/entities/{kind}/{namespace}/{name}": lambda w, c: (
        f"/api/v1/catalog/entities/component/default/{_put_entity(w, w.key(c))}",
        None,
    ),
    "POST /api/v1/catalog/import": lambda w, c: (
        "/api/v1/catalog/import",
        {"entities": [_entity(w, w.key(c))]},
    ),
    "POST /api/v1/events": lambda w, c: ("/api/v1/events", _event_batch(c)),
    "POST /api/v1/experiments": lambda w, c: (
        "/api/v1/experiments",
        {
            "key": w.key(c),
            "hypothesis": "h",
            "owner": "checkout",
            "flag_key": w.key(c),
            "variations": [{"key": "control", "weight": 1}, {"key": "treatment", "weight": 1}],
            "primary_metrics": [METRICS[0]],
        },
    ),
    "POST /api/v1/experiments/{key}/analysis": lambda w, c: (
        f"/api/v1/experiments/{_experiment(w, w.key(c), state='running')}/analysis",
        None,
    ),
    "POST /api/v1/experiments/{key}/decision": lambda w, c: (
        f"/api/v1/experiments/{_experiment(w, w.key(c), state='stopped')}/decision",
        {"decision": "ship", "reason": "it worked"},
    ),
    "POST /api/v1/experiments/{key}/start": lambda w, c: (
        f"/api/v1/experiments/{_experiment(w, w.key(c))}/start",
        None,
    ),
    "POST /api/v1/experiments/{key}/stop": lambda w, c: (
        f"/api/v1/experiments/{_experiment(w, w.key(c), state='running')}/stop",
        None,
    ),
    "POST /api/v1/flags": lambda w, c: (
        "/api/v1/flags",
        {"key": w.key(c), "owner": "checkout", "type": "boolean", "default_value": False},
    ),
    "DELETE /api/v1/flags/{key}": lambda w, c: (f"/api/v1/flags/{_flag(w, w.key(c))}", None),
    "PATCH /api/v1/flags/{key}": lambda w, c: (
        f"/api/v1/flags/{_flag(w, w.key(c))}",
        {"description": "changed"},
    ),
    "PUT /api/v1/flags/{key}/environments/{env}": lambda w, c: (
        f"/api/v1/flags/{_flag(w, w.key(c))}/environments/production",
        {"enabled": True, "rules": []},
    ),
    "POST /api/v1/flags/{key}/environments/{env}/toggle": lambda w, c: (
        f"/api/v1/flags/{_flag(w, w.key(c))}/environments/production/toggle?on=true",
        None,
    ),
    "POST /api/v1/flags/{key}/explain": lambda w, c: (
        f"/api/v1/flags/{_flag(w, w.key(c))}/explain",
        {"environment": "production", "attributes": {"id": "u1"}},
    ),
    "POST /api/v1/flags/{key}/kill": lambda w, c: (
        f"/api/v1/flags/{_flag(w, w.key(c))}/kill?env=production",
        None,
    ),
    "POST /api/v1/insights/imports/{source}": lambda w, c: (
        "/api/v1/insights/imports/json",
        {
            "changes": [
                {"change_id": f"c-{c}", "service": "checkout", "time_created": "2026-01-01T00:00Z"}
            ]
        },
    ),
    "POST /api/v1/insights/whatif": lambda w, c: (
        "/api/v1/insights/whatif",
        {"name": "none", "changes": []},
    ),
    "POST /api/v1/saved-groups": lambda w, c: (
        "/api/v1/saved-groups",
        {"key": w.key(c), "owner": "checkout", "values": ["u"]},
    ),
    "DELETE /api/v1/saved-groups/{key}": lambda w, c: (
        f"/api/v1/saved-groups/{_saved_group(w, w.key(c))}",
        None,
    ),
    "PUT /api/v1/saved-groups/{key}": lambda w, c: (
        f"/api/v1/saved-groups/{_saved_group(w, w.key(c))}",
        {"owner": "checkout", "values": ["v"]},
    ),
    "POST /api/v1/services/{consumer}/contracts": lambda w, c: (
        "/api/v1/services/checkout/contracts",
        {
            "consumer_version": f"3.{_n(c)}.0",
            "provider": "orders",
            "kind": "light",
            "content": CHECKOUT_LIGHT,
        },
    ),
    "POST /api/v1/services/{provider}/verifications": lambda w, c: (
        "/api/v1/services/checkout/verifications",
        {
            "provider_version": f"1.{_n(c)}.0",
            "consumer": "storefront",
            "consumer_version": "1.0.0",
            "success": True,
        },
    ),
    "POST /api/v1/services/{service}/api-versions": lambda w, c: (
        "/api/v1/services/checkout/api-versions",
        {"version": f"1.{_n(c)}.0", "document": orders_api()},
    ),
    "POST /api/v1/services/{service}/deployments": lambda w, c: (
        "/api/v1/services/checkout/deployments",
        {"version": f"2.{_n(c)}.0", "environment": "production"},
    ),
    "POST /api/v1/services/{service}/deployments/end": lambda w, c: (
        _running(w, f"4.{_n(c)}.0", "deployments") + "/end",
        {"version": f"4.{_n(c)}.0", "environment": "production"},
    ),
    "POST /api/v1/services/{service}/releases": lambda w, c: (
        "/api/v1/services/checkout/releases",
        {"version": f"5.{_n(c)}.0", "environment": "production"},
    ),
    "POST /api/v1/services/{service}/releases/end": lambda w, c: (
        _running(w, f"6.{_n(c)}.0", "releases") + "/end",
        {"version": f"6.{_n(c)}.0", "environment": "production"},
    ),
    "POST /api/v1/tokens": lambda w, c: ("/api/v1/tokens", {"role": "viewer", "name": f"by-{c}"}),
    "DELETE /api/v1/tokens/{token_id}": lambda w, c: (
        f"/api/v1/tokens/{_ok(w.admin.post('/api/v1/tokens', json={'role': 'viewer'}))['token']['id']}",
        None,
    ),
    "POST /pact-broker/contracts/publish": lambda w, c: (
        "/pact-broker/contracts/publish",
        {
            "pacticipantName": "checkout",
            "pacticipantVersionNumber": f"7.{_n(c)}.0",
            "contracts": [
                {
                    "consumerName": "checkout",
                    "providerName": "orders",
                    "specification": "pact",
                    "contentType": "application/json",
                    "content": base64.b64encode(json.dumps(checkout_pact()).encode()).decode(),
                }
            ],
        },
    ),
    "PATCH /pact-broker/deployed-versions/{row_id}": lambda w, c: (
        f"/pact-broker/deployed-versions/{_broker_row(w, c, 'deployments')}",
        {"currentlyDeployed": False},
    ),
    "POST /pact-broker/environments": lambda w, c: (
        "/pact-broker/environments",
        {"name": f"env-{_n(c)}", "production": False},
    ),
    "POST /pact-broker/pacticipants": lambda w, c: (
        "/pact-broker/pacticipants",
        {"name": _put_entity(w, w.key(c))},
    ),
    "PATCH /pact-broker/pacticipants/{pacticipant}": lambda w, c: (
        "/pact-broker/pacticipants/checkout",
        {"mainBranch": "main"},
    ),
    "PUT /pact-broker/pacticipants/{pacticipant}": lambda w, c: (
        "/pact-broker/pacticipants/checkout",
        {"mainBranch": "main"},
    ),
    "PUT /pact-broker/pacticipants/{pacticipant}/branches/{branch}/versions/{version}": lambda w, c: (
        f"/pact-broker/pacticipants/checkout/branches/main/versions/8.{_n(c)}.0",
        {},
    ),
    "PUT /pact-broker/pacticipants/{pacticipant}/versions/{version}": lambda w, c: (
        f"/pact-broker/pacticipants/checkout/versions/10.{_n(c)}.0",
        {},
    ),
    "PUT /pact-broker/pacticipants/{pacticipant}/versions/{version}/tags/{tag}": lambda w, c: (
        f"/pact-broker/pacticipants/checkout/versions/11.{_n(c)}.0/tags/prod",
        {},
    ),
    "POST /pact-broker/pacticipants/{pacticipant}/versions/{version}/{path}/environment/{uuid}": lambda w, c: (
        f"/pact-broker/pacticipants/checkout/versions/12.{_n(c)}.0/deployed-versions/environment/{_production_uuid(w)}",
        {},
    ),
    "POST /pact-broker/pacts/provider/{provider}/consumer/{consumer}/pact-version/{digest}/verification-results": lambda w, c: (
        f"/pact-broker/pacts/provider/payments/consumer/storefront/pact-version/{_pact_digest(w)}/verification-results",
        {"success": True, "providerApplicationVersion": f"13.{_n(c)}.0"},
    ),
    "POST /pact-broker/pacts/provider/{provider}/for-verification": lambda w, c: (
        "/pact-broker/pacts/provider/orders/for-verification",
        {},
    ),
    "PATCH /pact-broker/released-versions/{row_id}": lambda w, c: (
        f"/pact-broker/released-versions/{_broker_row(w, c, 'releases')}",
        {"currentlySupported": False},
    ),
    "POST /v1/traces": lambda w, c: ("/v1/traces", _otlp(c)),
}


def test_every_row_has_a_request() -> None:
    assert sorted(set(EXPECTED) - set(BUILDS)) == []


def test_each_caller_gets_the_status_of_its_cell_and_every_403_is_audited(world: World) -> None:
    wrong = []
    for row, (operation, expected) in enumerate(EXPECTED.items()):
        world.row = row
        method, _ = operation.split(" ", 1)
        for caller in CALLERS:
            try:
                url, body = BUILDS[operation](world, caller)
            except AssertionError as exc:
                wrong.append(f"{operation} [{caller}]: preparing failed: {exc}")
                continue
            send = {"json": body} if body is not None else {}
            token = world.tokens[caller].get("Authorization", "")
            response = world.admin.request(method, url, headers={"Authorization": token}, **send)
            status = response.status_code
            if status != expected[caller]:
                wrong.append(
                    f"{operation} [{caller}]: {status}, expected {expected[caller]}: {response.text[:160]}"
                )
            elif status == 403 and not _audited(world, url):
                wrong.append(f"{operation} [{caller}]: 403 not in the audit log")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong)


def _audited(world: World, url: str) -> bool:
    entries = world.admin.get("/api/v1/audit", params={"action": "access.denied", "limit": 5})
    return any(url.split("?")[0] in e["resource_id"] for e in entries.json()["items"])
