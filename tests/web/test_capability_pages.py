"""The contracts, flags and experiments pages over HTTP: what they show, JSON twins, 404s."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.test_pages import heading, text


def rounded(data: Any) -> Any:
    """Floats to 9 significant digits, everywhere in a JSON document."""
    if isinstance(data, float):
        return float(f"{data:.9g}")
    if isinstance(data, dict):
        return {k: rounded(v) for k, v in data.items()}
    if isinstance(data, list):
        return [rounded(v) for v in data]
    return data


PAGES = {
    "versions": ("/contracts/versions", "API versions"),
    "contracts": ("/contracts/services/orders", "orders"),
    "environments": ("/contracts/environments", "Environments"),
    "can-i-deploy": ("/contracts/can-i-deploy", "Can I deploy?"),
    "deprecations": ("/contracts/deprecations", "Deprecations"),
    "flags": ("/flags", "Flags"),
    "flag": ("/flags/one-page-checkout", "one-page-checkout"),
    "experiments": ("/experiments", "Experiments"),
    "experiment": ("/experiments/one-page-checkout", "one-page-checkout"),
    "learnings": ("/experiments/learnings", "Learning log"),
    "velocity": ("/experiments/velocity", "Experiment velocity"),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_renders_and_has_the_same_data_as_json(browser: TestClient, page: str) -> None:
    path, title = PAGES[page]
    response = browser.get(path)
    assert response.status_code == 200
    assert heading(response.text) == title
    assert not re.search(r'(src|href)="(https?:)?//', response.text)
    by_suffix = browser.get(f"{path}.json")
    by_accept = browser.get(path, headers={"Accept": "application/json"})
    assert by_suffix.status_code == 200
    # Analyses sum in parallel in the event store: the last digits of a float may differ.
    assert rounded(by_suffix.json()) == rounded(by_accept.json())
    assert "<svg" not in by_suffix.text  # drawings are for the HTML page only


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/contracts/services/nope", "no service named 'nope'"),
        ("/contracts/services/catalog-db", "no service named 'catalog-db'"),
        ("/flags/nope", "no flag 'nope'"),
        ("/experiments/nope", "no experiment 'nope'"),
        ("/flags?team=nobody", "nobody"),
    ],
    ids=["service", "resource-as-service", "flag", "experiment", "unknown-team"],
)
def test_an_unknown_name_is_a_404_saying_what_was_looked_for(
    browser: TestClient, path: str, message: str
) -> None:
    response = browser.get(path)
    assert response.status_code in (404, 422)
    assert message.replace("'", "&#39;") in response.text
    twin = browser.get(path.replace("?", ".json?") if "?" in path else f"{path}.json")
    assert twin.status_code == response.status_code
    assert "error" in twin.json()


# -- contracts --------------------------------------------------------------------------------


def test_the_contracts_page_lists_versions_changelog_and_consumers(browser: TestClient) -> None:
    data = browser.get("/contracts/services/orders.json").json()
    assert [v["version"] for v in data["versions"]] == ["2.0.0", "1.1.0", "1.0.0"]
    steps = {(s["from"], s["to"]): s["breaking"] for s in data["changelog"]}
    assert steps[("1.1.0", "2.0.0")] >= 1
    assert steps[("1.0.0", "1.1.0")] == 0
    [consumer] = data["consumers"]
    assert (consumer["service"], consumer["consumer_version"], consumer["kind"]) == (
        "checkout", "1.0.0", "light",
    )  # fmt: skip
    # 2.0.0 drops the "total" field checkout reads, where checkout runs.
    assert consumer["status"] == "broken"
    assert {c["environment"] for c in consumer["checks"]} == {"staging", "production"}
    html = browser.get("/contracts/services/orders").text
    assert "Breaking:" in html
    assert "no breaking change" in html
    needs = browser.get("/contracts/services/checkout.json").json()["needs"]
    assert [(n["service"], n["kind"]) for n in needs] == [("orders", "light")]


def test_the_environment_matrix_shows_what_runs_and_the_verdict_per_cell(
    browser: TestClient,
) -> None:
    data = browser.get("/contracts/environments.json").json()
    assert data["environments"] == ["staging", "production"]
    rows = {r["service"]: r for r in data["rows"]}
    assert set(rows) == {"checkout", "orders"}
    orders = {c["environment"]: c for c in rows["orders"]["cells"]}
    assert orders["production"]["running"] == [{"version": "1.1.0", "kind": "deployment"}]
    verdict = orders["production"]["verdict"]
    assert (verdict["version"], verdict["answer"]) == ("2.0.0", "no")
    assert any(r["service"] == "checkout" for r in verdict["reasons"])
    assert rows["checkout"]["cells"][0]["verdict"] is None  # no published version to judge
    assert rows["orders"]["team"]["name"] == "fulfilment"
    html = browser.get("/contracts/environments").text
    assert 'href="/graph"' in html
    assert "search" in text(html)  # listed among the services not shown


def test_can_i_deploy_answers_with_reasons(browser: TestClient) -> None:
    query = {"service": "orders", "version": "1.1.0", "environment": "production"}
    assert browser.get("/contracts/can-i-deploy.json", params=query).json()["verdict"]["answer"] == "yes"  # fmt: skip
    query["version"] = "2.0.0"
    html = browser.get("/contracts/can-i-deploy", params=query).text
    assert "NO" in html
    assert "breaks_consumer" in html or "breaking_change" in html
    query["version"] = "not-semver"
    answer = browser.get("/contracts/can-i-deploy.json", params=query).json()["verdict"]
    assert answer["answer"] == "unknown"


def test_deprecations_list_consumers_still_on_an_old_major_version(browser: TestClient) -> None:
    data = browser.get("/contracts/deprecations.json", params={"environment": "production"}).json()
    assert data["summary"]["old_major_version"] == 1
    [use] = data["uses"]
    assert (use["consumer"], use["provider"], use["latest_version"]) == (
        "checkout",
        "orders",
        "2.0.0",
    )
    seen = text(browser.get("/contracts/deprecations").text)
    assert "old major version (latest 2.0.0 )" in seen
    missing = browser.get("/contracts/deprecations.json", params={"provider": "nope"})
    assert missing.status_code == 404


# -- flags ------------------------------------------------------------------------------------


def test_flags_are_listed_per_team_with_their_state_per_environment(browser: TestClient) -> None:
    data = browser.get("/flags.json").json()
    assert data["environments"] == ["staging", "production"]
    groups = {g["owner"]["name"]: {f["key"]: f["states"] for f in g["flags"]} for g in data["groups"]}  # fmt: skip
    assert groups["checkout"]["one-page-checkout"] == ["on", "on"]
    assert groups["discovery"]["search-ranking"] == ["—", "off"]
    only = browser.get("/flags.json", params={"team": "discovery"}).json()
    assert [g["owner"]["name"] for g in only["groups"]] == ["discovery"]


def test_a_flag_page_shows_its_rules_in_words(browser: TestClient) -> None:
    seen = text(browser.get("/flags/one-page-checkout").text)
    assert "country is one of NL, BE" in seen
    assert "serve true" in seen
    assert "80% of units, by id" in seen
    assert "false 50% (control)" in seen
    data = browser.get("/flags/one-page-checkout.json").json()
    assert "csrf" not in data  # the form token is for the HTML page only
    assert [e["name"] for e in data["environments"]] == ["staging", "production"]


def test_the_explainer_answers_a_plain_get_form(browser: TestClient) -> None:
    query = {"environment": "production", "attributes": '{"id": "u1", "country": "BE"}'}
    data = browser.get("/flags/one-page-checkout.json", params=query).json()["explain"]
    assert data["result"]["source"] == "force"
    assert data["result"]["rule_id"] == "dutch-beta"
    html = browser.get("/flags/one-page-checkout", params=query).text
    assert "matched" in html


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
    ids=["broken-json", "not-an-object"],
)
def test_the_explainer_says_what_is_wrong_with_the_attributes(
    browser: TestClient, attributes: str, problem: str
) -> None:
    query = {"environment": "production", "attributes": attributes}
    response = browser.get("/flags/one-page-checkout", params=query)
    assert response.status_code == 200
    assert problem in response.text


# -- experiments ------------------------------------------------------------------------------


def test_the_experiment_page_draws_lifts_with_intervals(browser: TestClient) -> None:
    html = browser.get("/experiments/one-page-checkout").text
    forest = re.search(r'<svg class="chart forest".*?</svg>', html, re.S)
    assert forest, "no forest plot"
    assert forest.group(0).count('class="point"') == 3
    assert forest.group(0).count('class="ci"') == 3
    assert 'class="zero"' in forest.group(0)
    assert 'class="row better"' in forest.group(0)  # conversion clearly up: drawn as good
    assert '<svg class="chart band"' in html
    assert "Sample ratio mismatch" not in html
    data = browser.get("/experiments/one-page-checkout.json").json()
    assert data["report"]["recommendation"] == "ship"
    assert [g["metric"] for g in data["guardrails"]] == ["errors"]
    assert data["cumulative"]["points"], "no point of the cumulative lift"
    assert data["cumulative"]["source"] == "daily"  # the analysis repeated at daily cut-offs


def test_a_sample_ratio_mismatch_shows_a_banner(browser: TestClient) -> None:
    html = browser.get("/experiments/search-autocomplete").text
    assert "Sample ratio mismatch" in html
    assert browser.get("/experiments/search-autocomplete.json").json()["report"]["srm_mismatch"]


def test_the_learning_log_is_searchable_per_team(browser: TestClient) -> None:
    everything = browser.get("/experiments/learnings.json").json()
    assert {i["key"] for i in everything["learnings"]} == {
        "one-page-checkout", "free-shipping-banner", "search-autocomplete",
    }  # fmt: skip
    found = browser.get("/experiments/learnings.json", params={"q": "worth the cost"}).json()
    assert [i["key"] for i in found["learnings"]] == ["free-shipping-banner"]
    team = browser.get("/experiments/learnings.json", params={"team": "discovery"}).json()
    assert [i["key"] for i in team["learnings"]] == ["search-autocomplete"]
    assert "Nothing matches" in browser.get("/experiments/learnings", params={"q": "zebra"}).text


def test_velocity_counts_started_and_decided_per_month(browser: TestClient) -> None:
    data = browser.get("/experiments/velocity.json", params={"team": "checkout"}).json()
    assert data["velocity"]["months"] == [{"month": "2026-01", "started": 2, "decided": 1}]
    assert [(d["key"], d["days"]) for d in data["decided"]] == [("free-shipping-banner", 4.5)]
    html = browser.get("/experiments/velocity").text
    assert html.count('class="bar ') == 2
