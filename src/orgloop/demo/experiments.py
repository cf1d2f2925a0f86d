"""The demo's experiments: flags and experiments created over HTTP, analysed, one decided.

Definitions live in ``examples/shop/experiments/``: ``flags.yaml`` (each flag with its experiment
rule in production) and one experiment file each, usable as they are with
``orgloop experiments create``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from orgloop.experiments.client import ExperimentsClient
from orgloop.flags.client import FlagsClient
from orgloop.kernel.client import ApiClient

KEYS = ("one-page-checkout", "recommendations-v2", "guided-packing")
"""The demo's experiments, in the order they are shown."""

SHIP = (
    "one-page-checkout",
    "a one-page checkout takes customers less time, with no more payment failures",
)
"""The decision the checkout team records, so the learning log has an entry."""

HEADER = f"  {'metric':<21} {'role':<10} {'variant':<10} {'lift':>8}  {'95% interval':<18} {'p-value':<8} verdict"


def set_up(api: ApiClient, folder: Path) -> list[dict[str, Any]]:
    """Create the flags, then create and start each experiment; the started experiments."""
    flags = FlagsClient(api)
    for body in yaml.safe_load((folder / "flags.yaml").read_text()):
        flags.create(body)
    experiments = ExperimentsClient(api)
    started = []
    for key in KEYS:
        experiments.create(yaml.safe_load((folder / f"{key}.yaml").read_text()))
        started.append(experiments.start(key))
    return started


def analyse(api: ApiClient) -> dict[str, dict[str, Any]]:
    """The server's recorded analysis of each experiment (alerts are raised as it runs)."""
    experiments = ExperimentsClient(api)
    return {key: experiments.analyse(key, record=True) for key in KEYS}


def decide(api: ApiClient) -> dict[str, Any]:
    key, reason = SHIP
    return ExperimentsClient(api).decide(key, decision="ship", reason=reason)


def table(experiment: dict[str, Any], report: dict[str, Any]) -> Iterator[str]:
    """A compact report: one line per metric and treatment, then the recommendation."""
    team = experiment["owner"].rsplit("/", 1)[-1]
    yield f"{experiment['key']} (team {team}): {experiment['hypothesis']}"
    yield HEADER
    for row in report["rows"]:
        yield "  " + _row(row)
    units = ", ".join(f"{v}: {n}" for v, n in report["units"].items())
    yield f"  units {units}; SRM p-value {report['srm_p_value']:.3f}"
    yield f"  recommendation: {report['recommendation']} ({report['reason']})"


def _row(row: dict[str, Any]) -> str:
    start = f"{row['metric']:<21} {row['role']:<10} {row['variant']:<10}"
    if row["lift"] is None:
        return f"{start} {row['status']}"
    if row["lift_ci_low"] is None or row["lift_ci_high"] is None:  # described, not tested
        return f"{start} {_pct(row['lift']):>8}  {row['status']}"
    interval = f"[{_pct(row['lift_ci_low'])}, {_pct(row['lift_ci_high'])}]"
    p = row["p_value"]
    p_value = "-" if p is None else ("<0.0001" if p < 1e-4 else f"{p:.4f}")
    return f"{start} {_pct(row['lift']):>8}  {interval:<18} {p_value:<8} {row['verdict']}"


def _pct(value: float) -> str:
    return f"{value:+.1%}"
