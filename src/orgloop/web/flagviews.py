"""Data of the flags pages: flags per team, and one flag's rules, kill switches and explainer."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from orgloop.experiments.service import ExperimentService
from orgloop.flags.models import Flag
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import Principal
from orgloop.kernel.errors import InvalidInput
from orgloop.web.contractviews import environments_order
from orgloop.web.experimentviews import all_experiments
from orgloop.web.flagrules import rule_view, value_text
from orgloop.web.killswitch import kills
from orgloop.web.links import link, name_of
from orgloop.web.reader import Reader

_PAGE = 500
MAX_ATTRIBUTES = 10_000
"""Characters of attributes JSON the explainer accepts."""


def all_flags(flags: FlagService, *, owner: str | None = None) -> list[Flag]:
    found: list[Flag] = []
    while True:
        page = flags.list_flags(owner=owner, limit=_PAGE, offset=len(found))
        found.extend(page.items)
        if not page.items or len(found) >= page.total:
            return found


def flags_index(reader: Reader, flags: FlagService, query: dict[str, str]) -> dict[str, Any]:
    """Every flag (or one team's), grouped by owning team, with on/off per environment."""
    team = query.get("team") or None
    found = all_flags(flags, owner=team)
    environments = environments_order({e for f in found for e in f.environments})
    owners = reader.summaries({f.owner for f in found})
    groups: dict[str, list[dict[str, Any]]] = {}
    for flag in sorted(found, key=lambda f: (name_of(f.owner), f.key)):
        groups.setdefault(flag.owner, []).append({
            "key": flag.key, "href": f"/flags/{flag.key}", "type": flag.type,
            "description": flag.description, "tags": flag.tags,
            "states": [_state(flag, env) for env in environments],
        })  # fmt: skip
    return {
        "team": team,
        "teams": [
            {"name": name_of(t.ref), "title": t.title or name_of(t.ref)}
            for t in reader.all("Group", type="team")
        ],
        "environments": environments,
        "groups": [{"owner": link(o, owners.get(o)), "flags": rows} for o, rows in groups.items()],
        "total": len(found),
    }


def _state(flag: Flag, environment: str) -> str:
    config = flag.environments.get(environment)
    if config is None:
        return "—"
    return "on" if config.enabled else "off"


def flag_page(
    reader: Reader,
    flags: FlagService,
    experiments: ExperimentService,
    key: str,
    query: dict[str, str],
    *,
    principal: Principal,
    csrf: Markup,
) -> dict[str, Any]:
    flag = flags.get_flag(key)
    environments = environments_order(set(flag.environments))
    owner = reader.summaries([flag.owner]).get(flag.owner)
    killed = kills(flag, flags.history(key, actor=principal).items)
    return {
        "flag": {
            "key": flag.key, "type": flag.type, "description": flag.description,
            "tags": flag.tags, "default": value_text(flag.default_value),
            "updated": flag.updated_at.isoformat(timespec="seconds"),
        },
        "owner": link(flag.owner, owner),
        "environments": [
            {"name": env, "enabled": flag.environments[env].enabled,
             "killed": killed.get(env),
             "rules": [rule_view(r) for r in flag.environments[env].rules]}
            for env in environments
        ],
        "experiments": flag_experiments(experiments, flag),
        "killed": query.get("killed"),
        "restored": query.get("restored"),
        "explain": explainer(flags, key, query, environments),
        "csrf": csrf,
    }  # fmt: skip


def flag_experiments(experiments: ExperimentService, flag: Flag) -> list[dict[str, Any]]:
    """The experiments run on this flag: those naming it, and those its rules send units to."""
    ruled = {
        str(rule["key"])
        for config in flag.environments.values()
        for rule in config.rules
        if rule.get("kind") == "experiment" and rule.get("key")
    }
    found = {e.key: e for e in all_experiments(experiments)}
    mine = sorted(k for k, e in found.items() if e.flag_key == flag.key or k in ruled)
    return [
        {"key": k, "href": f"/experiments/{k}", "status": found[k].status,
         "decision": found[k].decision, "hypothesis": found[k].hypothesis}
        for k in mine
    ]  # fmt: skip


def explainer(
    flags: FlagService, key: str, query: dict[str, str], environments: list[str]
) -> dict[str, Any]:
    """The explainer form's values, and the engine's answer once an environment is chosen."""
    environment = query.get("environment", "").strip()
    raw = query.get("attributes", "").strip() or "{}"
    form = {
        "environment": environment or (environments[-1] if environments else ""),
        "attributes": raw if "attributes" in query else '{"id": "user-1"}',
        "problem": None,
        "result": None,
    }
    if not environment:
        return form
    try:
        attributes = parse_attributes(raw)
        answer = flags.explain(key, environment=environment, attributes=attributes)
    except InvalidInput as exc:
        return {**form, "problem": exc.message}
    return {**form, "result": answer.model_dump(mode="json")}


def parse_attributes(raw: str) -> dict[str, Any]:
    """The unit's attributes as typed into the form: a JSON object."""
    if len(raw) > MAX_ATTRIBUTES:
        raise InvalidInput.at("attributes", f"is longer than {MAX_ATTRIBUTES} characters")
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise InvalidInput.at("attributes", f"is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidInput.at("attributes", 'must be a JSON object, like {"id": "user-1"}')
    return parsed
