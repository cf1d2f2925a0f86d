"""The kill switch over HTTP (a form token tied to the session, the owning team only, audited),
and hostile text from flags and experiments escaped on every page that shows it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx2
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


def restores(services: Services, key: str) -> list[str]:
    entries = services.audit.list(
        actor=SYSTEM, resource_kind="flag", resource_id=key, action="flag.toggle.on"
    ).items
    return [e.actor for e in entries]


def kill(client: TestClient, key: str, environment: str = "production") -> httpx2.Response:
    """The kill switch pressed and confirmed, as the confirmation page's form sends it."""
    data = {"environment": environment, "confirm": "yes", "csrf": form_token(client, key)}
    return client.post(f"/flags/{key}/kill", data=data)


def test_the_kill_switch_asks_first_and_changes_nothing_until_confirmed(
    shop: Services, flag: str
) -> None:
    client = logged_in(shop, role="member", name="grace", team="checkout")
    token = form_token(client, flag)
    asked = client.post(f"/flags/{flag}/kill", data={"environment": "production", "csrf": token})
    assert asked.status_code == 200
    assert f"Kill {flag} in production?" in asked.text
    assert (
        "Everyone in <strong>production</strong> gets the default value <code>null</code>"
        in asked.text
    )
    assert "its rule stays and applies again when the flag is back on" in asked.text
    # The confirming form: the same session's token, confirm=yes, and a way back.
    assert f'name="csrf" value="{token}"' in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert f'<a class="cancel" href="/flags/{flag}">Cancel</a>' in asked.text
    assert shop.flags.get_flag(flag).environments["production"].enabled is True
    assert kills(shop, flag) == []


def test_the_owning_team_kills_a_flag_and_it_is_audited(shop: Services, flag: str) -> None:
    client = logged_in(shop, role="member", name="grace", team="checkout")
    response = kill(client, flag)
    assert response.status_code == 303
    assert response.headers["location"] == f"/flags/{flag}?killed=production"
    assert shop.flags.get_flag(flag).environments["production"].enabled is False
    assert kills(shop, flag) == ["grace (member, checkout)"]
    page = client.get(response.headers["location"]).text
    assert "Killed in production" in page
    assert f'action="/flags/{flag}/restore"' in page
    assert "Undo: turn back on in production" in page


def test_a_kill_is_undone_from_the_page_and_the_undo_is_audited(shop: Services, flag: str) -> None:
    client = logged_in(shop, role="member", name="grace", team="checkout")
    kill(client, flag)
    # Later, without the notice: the environment's own section offers the undo and says who.
    page = client.get(f"/flags/{flag}").text
    assert "killed by grace (member, checkout)" in page
    response = client.post(
        f"/flags/{flag}/restore",
        data={"environment": "production", "csrf": form_token(client, flag)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/flags/{flag}?restored=production"
    assert shop.flags.get_flag(flag).environments["production"].enabled is True
    assert restores(shop, flag) == ["grace (member, checkout)"]
    back = client.get(response.headers["location"]).text
    assert "Back on in production" in back
    assert "Undo:" not in back


def test_only_a_kill_is_undone_and_only_with_this_sessions_token(shop: Services, flag: str) -> None:
    client = logged_in(shop, role="admin", name="ops")
    token = form_token(client, flag)
    shop.flags.toggle(flag, "production", on=False, actor=SYSTEM)  # turned off on purpose
    assert "Undo:" not in client.get(f"/flags/{flag}").text
    refused = client.post(
        f"/flags/{flag}/restore", data={"environment": "production", "csrf": token}
    )
    assert refused.status_code == 409
    assert "not turned off in &#39;production&#39; by the kill switch" in refused.text
    shop.flags.toggle(flag, "production", on=True, actor=SYSTEM)
    kill(client, flag)
    forged = client.post(
        f"/flags/{flag}/restore", data={"environment": "production", "csrf": "0" * 64}
    )
    assert forged.status_code == 403
    assert shop.flags.get_flag(flag).environments["production"].enabled is False
    assert restores(shop, flag) == ["system (admin)"]  # the deliberate toggle above only


def test_another_teams_member_gets_the_403_message(shop: Services, flag: str) -> None:
    client = logged_in(shop, role="member", name="dana", team="discovery")
    response = kill(client, flag)
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
    data = {"environment": "production", "confirm": "yes"} | ({"csrf": token} if token else {})
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
