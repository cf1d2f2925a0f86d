"""What the home page says needs attention in experiments and flags: experiments ready to decide
(those with alerts first), and flags killed or stale.

Reads each experiment's last recorded analysis (``orgloop experiments analyse --record``, or the
one its decision recorded), never a new one: the home page stays quick however many run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from orgloop.experiments.models import Experiment
from orgloop.experiments.service import ExperimentService
from orgloop.flags.models import Flag
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import Principal
from orgloop.web.experimentviews import all_experiments
from orgloop.web.flagviews import all_flags
from orgloop.web.killswitch import kills
from orgloop.web.links import link
from orgloop.web.render import pvalue

DECISIVE = ("ship", "kill")
"""Recommendations that mean an experiment can be decided now."""

STALE_AFTER = timedelta(days=30)
"""A flag off everywhere and unchanged this long is stale: remove it, or say why it stays."""


def ready_to_decide(
    experiments: ExperimentService, team: str | None, *, flags: set[str]
) -> list[dict[str, Any]]:
    """Running or stopped experiments with an alert, a decisive recommendation, their planned
    sample reached, or stopped without a decision; alerts first.  ``flags``: the flag keys
    there are (an experiment's flag is linked only when it exists)."""
    found = [
        e for status in ("running", "stopped")
        for e in all_experiments(experiments, team=team, status=status)
    ]  # fmt: skip
    items = [_ready(e, experiments.alerts(e.key), e.flag_key in flags) for e in found]
    ready = [i for i in items if i["why"]]
    return sorted(ready, key=lambda i: (not i["alerts"], i["key"]))


def _ready(experiment: Experiment, alerts: list[Any], flag_exists: bool) -> dict[str, Any]:
    report = experiment.last_analysis or {}
    recommendation = report.get("recommendation")
    units: dict[str, int] = report.get("units") or {}
    shown = [{"kind": a.kind, "message": a.message, "at": a.at.isoformat(timespec="minutes")}
             for a in alerts]  # fmt: skip
    if report.get("srm_mismatch") and not any(a["kind"] == "srm" for a in shown):
        p = report.get("srm_p_value")
        message = f"sample ratio mismatch (p {pvalue(p, equals=True)})"
        shown.insert(0, {"kind": "srm", "message": message, "at": None})
    why = []
    if recommendation in (*DECISIVE, "investigate"):
        why.append(f"recommends {recommendation}: {report.get('reason')}")
    planned = experiment.planned_sample_size
    if planned and units and min(units.values()) >= planned:
        why.append(f"reached its planned {planned} units per variant")
    if experiment.status == "stopped":
        why.append("stopped without a decision")
    if shown and not why:
        why.append("has alerts: look before deciding")
    return {
        "key": experiment.key, "href": f"/experiments/{experiment.key}",
        "hypothesis": experiment.hypothesis, "owner": link(experiment.owner),
        "status": experiment.status, "recommendation": recommendation,
        "units": sum(units.values()), "alerts": shown, "why": why,
        "analysed": report.get("computed_at"),
        "flag": {"key": experiment.flag_key,
                 "href": f"/flags/{experiment.flag_key}" if flag_exists else None},
    }  # fmt: skip


def flags_to_look_at(
    flags: FlagService,
    experiments: ExperimentService,
    team: str | None,
    *,
    principal: Principal,
    now: datetime,
) -> list[dict[str, Any]]:
    """Flags killed somewhere (with undo on their page), and stale ones: still routing units to
    an experiment already decided, or off everywhere and unchanged for ``STALE_AFTER``."""
    decided = {e.key: e for e in all_experiments(experiments, status="decided")}
    items: list[dict[str, Any]] = []
    for flag in all_flags(flags, owner=team):
        if any(not c.enabled for c in flag.environments.values()):
            for env, kill in kills(flag, flags.history(flag.key, actor=principal).items).items():
                items.append(
                    _item(flag, "killed", env, f"killed by {kill['by']} at {kill['when']}")
                )
        for key in _experiment_rules(flag):
            if key in decided:
                e = decided[key]
                day = e.decided_at.date().isoformat() if e.decided_at else "?"
                items.append(_item(flag, "stale", None,
                                   f"experiment {key} was decided ({e.decision}) on {day}; roll "
                                   "out the result and remove the experiment rule"))  # fmt: skip
        unchanged = now - flag.updated_at
        if not any(c.enabled for c in flag.environments.values()) and unchanged >= STALE_AFTER:
            items.append(_item(flag, "stale", None,
                               f"off everywhere and unchanged for {unchanged.days} days"))  # fmt: skip
    return sorted(items, key=lambda i: (i["problem"] != "killed", i["key"]))


def _experiment_rules(flag: Flag) -> list[str]:
    return sorted({
        str(rule["key"]) for config in flag.environments.values() for rule in config.rules
        if rule.get("kind") == "experiment" and rule.get("key")
    })  # fmt: skip


def _item(flag: Flag, problem: str, environment: str | None, detail: str) -> dict[str, Any]:
    anchor = f"#env-{environment}" if environment else ""
    return {
        "key": flag.key, "href": f"/flags/{flag.key}{anchor}", "owner": link(flag.owner),
        "problem": problem, "environment": environment, "detail": detail,
    }  # fmt: skip
