"""``GET /api/v1/jobs`` and ``orgloop jobs``: when each periodic job is due, when it last ran and
on which replica; an SDK key may not look."""

from __future__ import annotations

import json

import pytest
from tests.cli import run
from tests.live import LiveServer

from orgloop.app import Services
from orgloop.kernel.client import ApiClient
from orgloop.kernel.errors import OrgloopError


def test_a_job_is_listed_before_its_first_run_and_after_it(
    cli_env: LiveServer, services: Services
) -> None:
    ran: list[str] = []
    services.jobs.every(3600.0, "nightly", lambda: ran.append("timer"))  # first tick in 10 s
    before = json.loads(run("jobs", "--json").stdout)
    assert before == [
        {
            "name": "nightly",
            "every_seconds": 3600.0,
            "due_at": None,
            "runs": 0,
            "last_started_at": None,
            "last_finished_at": None,
            "last_replica": None,
            "running": False,
        }
    ]
    assert not services.jobs.run_if_due("nightly", 0.0, lambda: ran.append("first sight"))
    assert services.jobs.run_if_due("nightly", 3600.0, lambda: ran.append("run"))
    assert ran == ["run"]
    [after] = json.loads(run("jobs", "--json").stdout)
    assert (after["runs"], after["running"]) == (1, False)
    assert after["last_replica"] == services.jobs.replica
    assert after["due_at"] > after["last_started_at"]  # one period on
    table = run("jobs").stdout
    assert "nightly" in table
    assert services.jobs.replica in table


def test_an_sdk_key_may_not_list_the_jobs(cli_env: LiveServer) -> None:
    created = json.loads(
        run("tokens", "create", "--role", "sdk", "--env", "production", "--json").stdout
    )
    with pytest.raises(OrgloopError) as refused:
        ApiClient(cli_env.url, created["secret"]).get("/api/v1/jobs")
    assert refused.value.status == 403
    assert "SDK key" in refused.value.message
