"""The demo's contracts: orders 2.0.0 breaks what checkout reads, and can-i-deploy stops it."""

from __future__ import annotations

from typing import Any

from orgloop.contracts.client import ContractsClient
from orgloop.demo.shop import EXAMPLES
from orgloop.kernel.client import ApiClient


def ship_orders_v2(api: ApiClient) -> dict[str, Any]:
    """Orders v2 drops a field checkout reads: can-i-deploy must stop it and say whom to ask."""
    contracts = ContractsClient(api)
    folder = EXAMPLES / "contracts"
    contracts.publish("orders", "1.0.0", (folder / "orders-v1.yaml").read_text(), "orders-api")
    uses = (folder / "checkout-uses-orders.yaml").read_text()
    contracts.publish_contract("checkout", "3.1.0", "orders", "light", uses)
    contracts.deployment("orders", "deployments", "1.0.0", "production")
    contracts.deployment("checkout", "deployments", "3.1.0", "production")
    contracts.publish("orders", "2.0.0", (folder / "orders-v2.yaml").read_text(), "orders-api")
    return contracts.can_i_deploy("orders", "2.0.0", "production", [])


def ask_again(api: ApiClient) -> dict[str, Any]:
    """After the traffic: the same question, now knowing who calls orders (traces)."""
    return ContractsClient(api).can_i_deploy("orders", "2.0.0", "production", [])


def verdict_lines(verdict: dict[str, Any]) -> list[str]:
    answer = {True: "yes", False: "no", None: "unknown"}[verdict["deployable"]]
    lines = [f"can-i-deploy orders 2.0.0 --to production: {answer}"]
    for reason in verdict["reasons"]:
        who = f"{reason['service']} {reason['version']}, team {reason['team']}"
        lines.append(f"  - {who}: {reason['detail']}")
    for warning in verdict.get("warnings", []):
        who = f"{warning['consumer']} {warning['consumer_version']}, team {warning['team']}"
        lines.append(f"  - seen in traffic: {who}: {warning['detail']}")
    return lines
