"""The flags, users and node runner the GrowthBook-SDK and OFREP tests share.

The npm packages (pinned in the Makefile's ``node-sdks`` target) live in ``.npm-tools/``; without
node or them the tests skip, and with ``ORGLOOP_REQUIRE_NODE_SDKS=1`` (CI) they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from orgloop.app import Services
from tests.sdk.server import add_team

ROOT = Path(__file__).resolve().parents[2]
NPM_TOOLS = ROOT / ".npm-tools"
HERE = Path(__file__).resolve().parent

BETA = [f"user-{i}" for i in range(10)]
FLAGS: list[dict[str, Any]] = [
    {"key": "dark-mode", "type": "boolean", "default_value": True, "rules": []},
    {
        "key": "new-checkout",
        "type": "boolean",
        "default_value": False,
        "rules": [
            {
                "kind": "force",
                "id": "beta",
                "condition": {"id": {"$inGroup": "beta"}},
                "value": True,
            },
            {
                "kind": "force",
                "id": "eu-new-app",
                "condition": {"country": {"$in": ["FR", "DE"]}, "app": {"$vgte": "2.1.0"}},
                "value": True,
            },
        ],
    },
    {
        "key": "search-v2",
        "type": "boolean",
        "default_value": False,
        "rules": [
            {"kind": "force", "id": "rollout-30", "coverage": 0.3, "hash_version": 2, "value": True}
        ],
    },
    {
        "key": "button-color",
        "type": "string",
        "default_value": "blue",
        "rules": [
            {
                "kind": "experiment",
                "id": "button-test",
                "key": "button-test",
                "condition": {"country": {"$ne": "JP"}},
                "variations": ["blue", "green", "red"],
                "weights": [0.5, 0.25, 0.25],
                "meta": [{"key": "control"}, {"key": "green"}, {"key": "red"}],
                "coverage": 0.8,
                "hash_version": 2,
            }
        ],
    },
    {
        "key": "max-items",
        "type": "number",
        "default_value": 10,
        "rules": [{"kind": "force", "id": "pro", "condition": {"plan": "pro"}, "value": 20}],
    },
    {"key": "legacy-banner", "type": "boolean", "default_value": True, "rules": [], "off": True},
]
FLAG_KEYS = [f["key"] for f in FLAGS]


def users(count: int = 60) -> list[dict[str, Any]]:
    countries, plans, apps = (
        ["FR", "DE", "US", "JP", "BR"],
        ["free", "pro"],
        ["1.9.0", "2.1.0", "2.10.3"],
    )
    return [
        {"id": f"user-{i}", "country": countries[i % 5], "plan": plans[i % 2], "app": apps[i % 3]}
        for i in range(count)
    ]


def create_flags(services: Services, url: str, admin_token: str) -> None:
    """The saved group and the flags above, in ``production``, through the REST API."""
    add_team(services, "checkout")
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=url, headers=headers) as admin:
        group = {"key": "beta", "owner": "checkout", "values": BETA}
        admin.post("/api/v1/saved-groups", json=group).raise_for_status()
        for flag in FLAGS:
            body = {k: flag[k] for k in ("key", "type", "default_value")}
            env = {"enabled": not flag.get("off"), "rules": flag["rules"]}
            body |= {"owner": "checkout", "environments": {"production": env}}
            admin.post("/api/v1/flags", json=body).raise_for_status()


def require_node(*packages: str) -> str:
    """The ``node`` binary, after checking the npm packages are installed; else skip (or fail)."""
    node = shutil.which("node")
    missing = [
        p for p in packages if not (NPM_TOOLS / "node_modules" / p / "package.json").exists()
    ]
    reason = None
    if node is None:
        reason = "node is not installed (the npm SDK tests need node >= 18)"
    elif missing:
        reason = f"npm packages {', '.join(missing)} are not in .npm-tools/ (run 'make node-sdks')"
    if reason is not None:
        if os.environ.get("ORGLOOP_REQUIRE_NODE_SDKS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    assert node is not None
    return node


def run_node(node: str, script: str, data: dict[str, Any]) -> Any:
    """Run ``tests/flags/<script>`` with ``data`` as JSON on stdin; its stdout is JSON."""
    data = {"npmTools": str(NPM_TOOLS), **data}
    done = subprocess.run(
        [node, str(HERE / script)],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stderr}\n{done.stdout}"
    return json.loads(done.stdout)
