"""A team's Pact pipeline, run by the official clients (npm ``@pact-foundation/pact-cli``: its
``pact-broker`` and ``pact-verifier``), unchanged, against orgloop as its Pact Broker on a live
server: publish with branch and tags, environments, deployments, verification, can-i-deploy.

The binaries are installed by ``make pact-cli`` into ``.npm-tools/``; without them these tests
skip, or fail when ``ORGLOOP_REQUIRE_PACT_CLI=1`` (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.contracts.registry_builders import checkout_pact
from tests.contracts.test_can_i_deploy_api import ask
from tests.contracts.test_registry_api import api, member
from tests.live import LiveServer

__all__ = ["api"]

BIN = Path(__file__).resolve().parents[2] / ".npm-tools" / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def binaries() -> Path:
    missing = [n for n in ("pact-broker", "pact-verifier") if not (BIN / n).exists()]
    if not missing and shutil.which("node"):
        return BIN
    reason = (
        f"the Pact CLI ({', '.join(missing) or 'node'}) is not installed in {BIN}: "
        "run `make pact-cli`"
    )
    if os.environ.get("ORGLOOP_REQUIRE_PACT_CLI") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Broker:
    """orgloop as a Pact Broker, and the tokens of the teams of the demo shop."""

    bin: Path
    url: str
    admin: str
    checkout: str
    fulfilment: str
    workdir: Path

    def run(self, token: str, *args: str, tool: str = "pact-broker") -> Result:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_")}
        done = subprocess.run(
            [str(self.bin / tool), *args, "--broker-base-url", self.url, "--broker-token", token],
            capture_output=True, text=True, timeout=60, env=env, cwd=self.workdir, check=False,
        )  # fmt: skip
        return Result(done.returncode, done.stdout + done.stderr)

    def json(self, token: str, *args: str) -> Any:
        result = self.run(token, *args, "--output", "json")
        assert result.code == 0, result.output
        return json.loads(result.output.strip().splitlines()[-1])

    def verify(self, version: str, *, with_total: bool, selectors: str) -> Result:
        """The provider pipeline: verify the running orders app, publish the result."""
        with LiveServer(orders_app(with_total=with_total)) as provider:
            env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_")}
            args = [
                str(self.bin / "pact-verifier"), "--broker-url", self.url,
                "--token", self.fulfilment, "--provider-name", "orders",
                "--hostname", "127.0.0.1", "--port", str(provider.port),
                "--consumer-version-selectors", selectors, "--publish",
                "--provider-version", version, "--provider-branch", "main",
            ]  # fmt: skip
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=60, env=env, check=False
            )
            return Result(done.returncode, done.stdout + done.stderr)


@dataclass
class Result:
    code: int
    output: str


def refused_with(result: Result, text: str) -> None:
    """The client exited with an error and said ``text``."""
    assert result.code != 0, result.output
    assert text in result.output, result.output


def orders_app(*, with_total: bool) -> FastAPI:
    """The orders provider as it really runs; the broken build forgets ``total``."""
    app = FastAPI()

    @app.get("/orders/{order_id}")
    def get_order(order_id: str) -> dict[str, Any]:
        order: dict[str, Any] = {"id": order_id, "status": "paid"}
        if with_total:
            order["total"] = 12.5
        return order

    return app


@pytest.fixture
def broker(binaries: Path, api: TestClient, tmp_path: Path) -> Iterator[Broker]:
    """The consumer's checkout has written its pact to ``pacts/``, as its tests do."""
    (tmp_path / "pacts").mkdir()
    (tmp_path / "pacts" / "checkout-orders.json").write_text(json.dumps(checkout_pact()))
    admin = api.headers["Authorization"].removeprefix("Bearer ")
    tokens = {t: member(api, t)["Authorization"].removeprefix("Bearer ") for t in
              ("checkout", "fulfilment")}  # fmt: skip
    with LiveServer(api.app) as server:
        yield Broker(
            bin=binaries, url=f"{server.url}/pact-broker", admin=admin,
            checkout=tokens["checkout"], fulfilment=tokens["fulfilment"], workdir=tmp_path,
        )  # fmt: skip


def test_the_pipeline_from_publish_to_a_refused_deploy(broker: Broker, api: TestClient) -> None:
    b = broker
    published = b.run(b.checkout, "publish", "pacts", "--consumer-app-version", "3.1.0",
                      "--branch", "main", "--tag", "prod")  # fmt: skip
    assert published.code == 0, published.output
    assert "Pact between checkout (3.1.0) and orders published" in published.output
    created = b.run(b.admin, "create-environment", "--name", "production", "--production")
    assert created.code == 0, created.output
    [env] = b.json(b.admin, "list-environments")["_embedded"]["environments"]
    assert (env["name"], env["production"]) == ("production", True)

    # The provider's pipeline verifies the consumer's main line, then deploys.
    verified = b.verify("1.0.0", with_total=True, selectors='{"branch": "main"}')
    assert verified.code == 0, verified.output
    for token, name, version in ((b.fulfilment, "orders", "1.0.0"),
                                 (b.checkout, "checkout", "3.1.0")):  # fmt: skip
        deployed = b.run(token, "record-deployment", "--pacticipant", name,
                         "--version", version, "--environment", "production")  # fmt: skip
        assert deployed.code == 0, deployed.output
    yes = b.run(b.checkout, "can-i-deploy", "--pacticipant", "checkout", "--version", "3.1.0",
                "--to-environment", "production")  # fmt: skip
    assert yes.code == 0, yes.output
    assert "Computer says yes" in yes.output

    # A new provider build that keeps the contract may ship; a broken one is refused, naming
    # the consumer it breaks.
    assert b.verify("1.1.0", with_total=True, selectors='{"deployedOrReleased": true}').code == 0
    ok = b.json(b.fulfilment, "can-i-deploy", "--pacticipant", "orders", "--version", "1.1.0",
                "--to-environment", "production")  # fmt: skip
    assert ok["summary"]["deployable"] is True
    assert [(r["consumer"]["name"], r["verificationResult"]["success"]) for r in ok["matrix"]] == [
        ("checkout", True)
    ]
    failed = b.verify("1.2.0", with_total=False, selectors='{"deployedOrReleased": true}')
    refused_with(failed, "missing the following keys: total")
    no = b.run(b.fulfilment, "can-i-deploy", "--pacticipant", "orders", "--version", "1.2.0",
               "--to-environment", "production")  # fmt: skip
    assert no.code == 1, no.output
    assert "Computer says no" in no.output
    assert "verification of orders 1.2.0 against checkout 3.1.0 failed" in no.output
    # The broker's answer is orgloop's own.
    assert ask(api, "orders", "1.2.0")["deployable"] is False
    assert ask(api, "orders", "1.1.0")["deployable"] is True

    # Once checkout is undeployed, nothing in production needs what 1.2.0 broke.
    undeployed = b.run(b.checkout, "record-undeployment", "--pacticipant", "checkout",
                       "--environment", "production")  # fmt: skip
    assert undeployed.code == 0, undeployed.output
    after = b.json(b.fulfilment, "can-i-deploy", "--pacticipant", "orders", "--version", "1.2.0",
                   "--to-environment", "production")  # fmt: skip
    assert after["summary"]["deployable"] is ask(api, "orders", "1.2.0")["deployable"] is True

    described = b.json(b.checkout, "describe-version", "--pacticipant", "checkout",
                       "--version", "3.1.0")  # fmt: skip
    assert described["number"] == "3.1.0"
    assert [t["name"] for t in described["_embedded"]["tags"]] == ["prod"]
    assert [v["name"] for v in described["_embedded"]["branchVersions"]] == ["main"]
    listed = b.json(b.checkout, "list-pacticipants")["pacticipants"]
    assert {"checkout", "orders"} <= {p["name"] for p in listed}


def test_versions_tags_releases_and_the_latest_tagged_version(broker: Broker) -> None:
    b = broker
    b.run(b.admin, "create-environment", "--name", "production", "--production")
    for version, tag in (("3.1.0", "prod"), ("3.2.0", "prod"), ("3.3.0", "next")):
        made = b.run(b.checkout, "create-or-update-version", "--pacticipant", "checkout",
                     "--version", version, "--branch", "main", "--tag", tag)  # fmt: skip
        assert made.code == 0, made.output
    tagged = b.run(b.checkout, "create-version-tag", "--pacticipant", "checkout",
                   "--version", "3.1.0", "--tag", "golden")  # fmt: skip
    assert tagged.code == 0, tagged.output
    latest = b.json(b.checkout, "describe-version", "--pacticipant", "checkout")
    assert latest["number"] == "3.3.0"
    latest_prod = b.json(b.checkout, "describe-version", "--pacticipant", "checkout",
                         "--latest", "prod")  # fmt: skip
    assert latest_prod["number"] == "3.2.0"
    first = b.json(b.checkout, "describe-version", "--pacticipant", "checkout",
                   "--version", "3.1.0")  # fmt: skip
    assert [t["name"] for t in first["_embedded"]["tags"]] == ["prod", "golden"]

    released = b.run(b.checkout, "record-release", "--pacticipant", "checkout",
                     "--version", "3.1.0", "--environment", "production")  # fmt: skip
    assert released.code == 0, released.output
    supported = b.json(b.checkout, "describe-version", "--pacticipant", "checkout",
                       "--environment", "production")  # fmt: skip
    assert "3.1.0" in json.dumps(supported)
    ended = b.run(b.checkout, "record-support-ended", "--pacticipant", "checkout",
                  "--version", "3.1.0", "--environment", "production")  # fmt: skip
    assert ended.code == 0, ended.output
    gone = b.json(b.checkout, "describe-version", "--pacticipant", "checkout",
                  "--environment", "production")  # fmt: skip
    assert "3.1.0" not in json.dumps(gone)


def test_rights_unknown_names_and_the_tag_read_as_an_environment(broker: Broker) -> None:
    b = broker
    b.run(b.checkout, "publish", "pacts", "--consumer-app-version", "3.1.0", "--branch", "main")
    # A member writes only its team's services; the refusal names the owner.
    foreign = b.run(b.checkout, "create-or-update-pacticipant", "--name", "orders",
                    "--main-branch", "main")  # fmt: skip
    refused_with(foreign, "owned by team 'group:default/fulfilment'")
    unknown = b.run(b.checkout, "create-or-update-pacticipant", "--name", "billing")
    refused_with(unknown, "no service 'billing' in the catalog")
    mine = b.run(b.checkout, "create-or-update-pacticipant", "--name", "checkout",
                 "--display-name", "Checkout", "--main-branch", "main")  # fmt: skip
    assert mine.code == 0, mine.output
    listed = {p["name"]: p for p in b.json(b.checkout, "list-pacticipants")["pacticipants"]}
    assert (listed["checkout"]["displayName"], listed["checkout"]["mainBranch"]) == (
        "Checkout", "main",
    )  # fmt: skip
    refused = b.run(b.checkout, "create-environment", "--name", "staging")
    refused_with(refused, "needs an admin token")

    # ``--to prod`` names an environment orgloop does not know: said so, never a 500.
    to_tag = b.run(b.checkout, "can-i-deploy", "--pacticipant", "checkout", "--latest",
                   "--to", "prod")  # fmt: skip
    refused_with(to_tag, "no environment 'prod'")
    b.run(b.admin, "create-environment", "--name", "prod")
    no_provider = b.json(b.checkout, "can-i-deploy", "--pacticipant", "checkout", "--latest",
                         "--to", "prod")  # fmt: skip
    assert no_provider["summary"]["deployable"] is False
    assert "orders" in no_provider["summary"]["reason"]
