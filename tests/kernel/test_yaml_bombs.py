"""YAML bombs: a 1 KB "billion laughs" through every door that reads YAML is refused fast, names
the problem, and stores nothing (API on SQLite and PostgreSQL; CLI file readers without a server).

"Fast" is CPU time of this process (the in-process server's included), under a second: wall time
on a shared machine measures the neighbours.
"""

from __future__ import annotations

import itertools
import time
import tracemalloc
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.catalog.builders import shop_payload
from tests.cli import run

from orgloop.kernel import yamlguard


def billion_laughs(levels: int = 9) -> str:
    """Nine levels of ten aliases each: 10^9 strings once expanded, about 1 KB of text."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in itertools.pairwise("abcdefghijklmnop"[: levels + 1]):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    return "\n".join(lines) + "\n"


BOMB = billion_laughs()


def test_the_bomb_is_small() -> None:
    assert len(BOMB.encode()) < 1100


def test_the_kernel_reader_refuses_the_bomb_in_little_time_and_memory() -> None:
    tracemalloc.start()
    started = time.process_time()
    with pytest.raises(yamlguard.YamlRefused) as refused:
        yamlguard.load(BOMB)
    elapsed = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "expands to more than" in refused.value.message
    assert refused.value.path.startswith(("f", "g", "h"))
    assert elapsed < 1.0
    assert peak < 5 * 1024 * 1024


def test_the_node_bound_grows_with_the_text_not_with_aliases() -> None:
    big = "[" + ",".join(["1"] * 1_500_000) + "]"  # 3 MB of plain data, 1.5M nodes
    assert len(yamlguard.load(big)) == 1_500_000


def test_yaml_still_reads_as_before() -> None:
    text = "a: &x {b: [1, 2.5, true, null, '2026-01-01']}\nc: *x\nd: yes\n200: ok\n"
    assert yamlguard.load(text) == {
        "a": {"b": [1, 2.5, True, None, "2026-01-01"]},
        "c": {"b": [1, 2.5, True, None, "2026-01-01"]},
        "d": "yes",
        "200": "ok",
    }


@pytest.fixture
def api(admin: TestClient) -> TestClient:
    response = admin.post("/api/v1/catalog/import", json={"entities": shop_payload()})
    assert response.status_code == 200, response.text
    return admin


def _cpu(client: TestClient, method: str, url: str, **kwargs: object) -> tuple[int, str, float]:
    """The answer and the CPU seconds this process spent on it (the server runs in it too):
    unlike wall time, a busy machine does not inflate it."""
    started = time.process_time()
    response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    return response.status_code, response.text, time.process_time() - started


def _timed(client: TestClient, method: str, url: str, **kwargs: object) -> tuple[int, str]:
    status, text, cpu = _cpu(client, method, url, **kwargs)
    assert cpu < 1.0, f"{method} {url} took {cpu:.1f} s of CPU"
    return status, text


def test_an_api_version_document_bomb_is_refused_and_nothing_stored(api: TestClient) -> None:
    body = {"version": "1.0.0", "document": BOMB}
    status, text = _timed(api, "POST", "/api/v1/services/orders/api-versions", json=body)
    assert status == 422, text
    assert "expands to more than" in text
    assert "document" in text
    assert api.get("/api/v1/services/orders/api-versions").json() == []


@pytest.mark.parametrize("kind", ["pact", "light"])
def test_a_consumer_contract_bomb_is_refused_and_nothing_stored(api: TestClient, kind: str) -> None:
    body = {"consumer_version": "1.0.0", "provider": "orders", "kind": kind, "content": BOMB}
    status, text = _timed(api, "POST", "/api/v1/services/checkout/contracts", json=body)
    assert status == 422, text
    assert "expands to more than" in text
    assert api.get("/api/v1/contracts", params={"consumer": "checkout"}).json() == []


def test_a_what_if_scenario_bomb_on_the_dashboard_is_refused(api: TestClient) -> None:
    status, text = _timed(api, "GET", "/insights/whatif", params={"scenario": BOMB})
    assert status == 422, text
    assert "expands to more than" in text


def test_an_api_definition_bomb_in_the_catalog_never_slows_the_insights(api: TestClient) -> None:
    entity = {
        "descriptor": {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "API",
            "metadata": {"name": "bomb-api"},
            "spec": {
                "type": "openapi",
                "lifecycle": "production",
                "owner": "checkout",
                "definition": "paths: {}\n" + BOMB,
            },
        },
        "file": "bomb.yaml",
    }
    *_, before = _cpu(api, "GET", "/api/v1/insights/monolith")
    response = api.put("/api/v1/catalog/entities", json=entity)
    assert response.status_code in (200, 201), response.text
    status, text, after = _cpu(api, "GET", "/api/v1/insights/monolith")
    assert status == 200, text
    assert after < before + 1.0


@pytest.fixture
def bomb_file(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    return path


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["experiments", "create", "{bomb}"], id="experiments-create"),
        pytest.param(
            ["flags", "set-rules", "checkout-flow", "--env", "production", "{bomb}"], id="flags"
        ),
        pytest.param(["insights", "whatif", "{bomb}"], id="insights-whatif"),
        pytest.param(["analyze", "{bomb}"], id="analyze"),
        pytest.param(["catalog", "validate", "{bomb}"], id="catalog-validate"),
        pytest.param(["contracts", "diff", "{bomb}", "{bomb}"], id="contracts-diff"),
        pytest.param(
            ["contracts", "publish-pact", "checkout", "--version", "1.0.0", "{bomb}"],
            id="contracts-publish",
        ),
    ],
)
def test_cli_file_readers_refuse_the_bomb_fast(
    command: list[str], bomb_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ORGLOOP_URL", "http://127.0.0.1:9")  # never reached: the file is read first
    monkeypatch.setenv("ORGLOOP_TOKEN", "olp_adm_unused")
    monkeypatch.setenv("ORGLOOP_CONFIG_DIR", str(tmp_path / "config"))
    args = [part.replace("{bomb}", str(bomb_file)) for part in command]
    run(*args)  # the first call imports the command's modules: only the refusal is timed below
    started = time.process_time()
    result = run(*args)
    elapsed = time.process_time() - started
    assert result.exit_code in (1, 2), result.stdout + result.stderr
    assert "expands to more than" in result.stdout + result.stderr
    assert elapsed < 1.0
