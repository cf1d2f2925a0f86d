"""The kill switch over HTTP (a form token tied to the session, the owning team only, audited),
and hostile text from flags and experiments escaped on every page that shows it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orgloop.app import Services, build_services
from orgloop.experiments.models import DecisionIn
from orgloop.flags.models import EnvironmentConfig, FlagCreate
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.ids import RandomIds
from orgloop.kernel.models import TokenCreate
from orgloop.kernel.settings import Settings
from tests.web.builders import experiment_body
from tests.web.conftest import import_shop, web_app

HOSTILE = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The demo shop on SQLite, built once; each test makes its own flag."""
    data_dir = tmp_path_factory.mktemp("kill")
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'o.db'}")
    services = build_services(settings, clock=FixedClock(), ids=RandomIds())
    import_shop(services)
    yield services
    services.close()


@pytest.fixture
def flag(shop: Services, request: pytest.FixtureRequest) -> str:
    """A flag of the checkout team, on in production, with hostile text in it."""
    key = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:90]
    rules = [{"kind": "force", "condition": {"country": HOSTILE}, "value": True}]
    shop.flags.create_flag(
        FlagCreate(key=key, owner="checkout", description=HOSTILE, tags=[HOSTILE],
                   environments={"production": EnvironmentConfig(enabled=True, rules=rules)}),
        actor=SYSTEM,
    )  # fmt: skip
    return key


def _secret(services: Services, **token: str) -> str:
    return services.tokens.create(TokenCreate(**token), actor=SYSTEM).secret


_APPS: dict[int, FastAPI] = {}


def app_of(services: Services) -> FastAPI:
    """One app per module's services: building it is the slow part of a request test."""
    return _APPS.setdefault(id(services), web_app(services))


def logged_in(services: Services, **token: str) -> TestClient:
    secret = _secret(services, **token)
    client = TestClient(app_of(services), follow_redirects=False)
    assert client.post("/login", data={"token": secret}).status_code == 303
    return client


def form_token(client: TestClient, key: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(f"/flags/{key}").text)
    assert match, "the flag page has no kill form"
    return match.group(1)


def kills(services: Services, key: str) -> list[str]:
    entries = services.audit.list(
        actor=SYSTEM, resource_kind="flag", resource_id=key, action="flag.kill"
    ).items
    return [e.actor for e in entries]


def test_the_owning_team_kills_a_flag_and_it_is_audited(shop: Services, flag: str) -> None:
    client = logged_in(shop, role="member", name="grace", team="checkout")
    response = client.post(
        f"/flags/{flag}/kill", data={"environment": "production", "csrf": form_token(client, flag)}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/flags/{flag}?killed=production"
    assert shop.flags.get_flag(flag).environments["production"].enabled is False
    assert kills(shop, flag) == ["grace (member, checkout)"]
    assert "Killed in production" in client.get(response.headers["location"]).text


def test_another_teams_member_gets_the_403_message(shop: Services, flag: str) -> None:
    client = logged_in(shop, role="member", name="dana", team="discovery")
    response = client.post(
        f"/flags/{flag}/kill", data={"environment": "production", "csrf": form_token(client, flag)}
    )
    assert response.status_code == 403
    assert "owned by team" in response.text
    assert shop.flags.get_flag(flag).environments["production"].enabled is True
    assert kills(shop, flag) == []


@pytest.mark.parametrize(
    "token",
    [None, "", "0" * 64, "from-another-session"],
    ids=["missing", "empty", "forged", "other-session"],
)
def test_a_kill_without_this_sessions_form_token_is_refused(
    shop: Services, flag: str, token: str | None
) -> None:
    client = logged_in(shop, role="admin", name="ops")
    if token == "from-another-session":
        other = TestClient(app_of(shop), follow_redirects=False)
        other.post("/login", data={"token": _secret(shop, role="admin", name="ops2")})
        token = form_token(other, flag)
    data = {"environment": "production"} | ({"csrf": token} if token is not None else {})
    response = client.post(f"/flags/{flag}/kill", data=data)
    assert response.status_code == 403
    assert "reload the flag" in response.text
    assert shop.flags.get_flag(flag).environments["production"].enabled is True


def test_a_kill_needs_a_login_and_a_known_flag_and_environment(shop: Services, flag: str) -> None:
    anonymous = TestClient(app_of(shop), follow_redirects=False)
    assert anonymous.post(f"/flags/{flag}/kill", data={"environment": "production"}).status_code == 303  # fmt: skip
    client = logged_in(shop, role="admin", name="ops")
    token = form_token(client, flag)
    assert client.post("/flags/nope/kill", data={"environment": "production", "csrf": token}).status_code == 404  # fmt: skip
    assert client.post(f"/flags/{flag}/kill", data={"environment": "moon", "csrf": token}).status_code == 404  # fmt: skip


def test_hostile_text_of_flags_and_experiments_is_escaped(shop: Services, flag: str) -> None:
    shop.experiments.create(
        experiment_body("hostile", hypothesis=HOSTILE, flag_key=flag), actor=SYSTEM
    )
    shop.experiments.start("hostile", actor=SYSTEM)
    shop.experiments.decide("hostile", DecisionIn(decision="kill", reason=HOSTILE), actor=SYSTEM)
    client = logged_in(shop, role="viewer", name="reader")
    for path in ["/flags", f"/flags/{flag}", "/experiments", "/experiments/hostile",
                 "/experiments/learnings", f"/flags/{flag}?environment=production&attributes={{\"country\": \"{HOSTILE}\"}}"]:  # fmt: skip
        html = client.get(path).text
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;" in html, path
