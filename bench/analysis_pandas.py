"""The benchmark's pandas reference: the same per-variant sums as ``queries.analyse``, in pandas.

Written the way an analyst writes it: read each metric's events (only that event name, only the
columns needed) from the DuckDB file into a DataFrame, merge with each unit's first exposure,
flag the events in the metric window and in the CUPED pre-period, ``groupby`` unit, then
``groupby`` variant.  One metric at a time, so only one metric's events are in memory at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

EXPERIMENT = "bench"
WINDOW_HOURS = 168.0
LOOKBACK_HOURS = 336.0


@dataclass(frozen=True, slots=True)
class Spec:
    key: str
    event: str
    aggregation: str  # count | sum | any


SPECS = (
    Spec("visits", "visit", "count"),
    Spec("carts", "add_to_cart", "any"),
    Spec("revenue", "purchase", "sum"),
)
# The same three metrics as orgloop definitions (parse_metrics input).
METRICS: list[dict[str, Any]] = [
    {
        "key": s.key,
        "event": s.event,
        "aggregation": s.aggregation,
        **({"kind": "proportion"} if s.aggregation == "any" else {}),
        "window": {"start_hours": 0, "end_hours": WINDOW_HOURS},
        "cuped_lookback_hours": LOOKBACK_HOURS,
    }
    for s in SPECS
]
STAT_NAMES = ("sum", "sum_squares", "covariate_sum", "covariate_sum_squares", "cross_sum")


def analyse_pandas(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """``{"units": {variant: n}, "excluded": k, "metrics": {key: {variant: {stat: value}}}}``."""
    units, excluded = first_exposures(con)
    metrics = {spec.key: metric_sums(units, read_events(con, spec.event), spec) for spec in SPECS}
    counts = units.groupby("variant").size()
    return {
        "units": {str(k): int(v) for k, v in counts.items()},
        "excluded": excluded,
        "metrics": metrics,
    }


def first_exposures(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, int]:
    """Index unit -> (variant, first); units seen in two variants are dropped and counted."""
    query = 'SELECT unit, variant, "timestamp" FROM exposures WHERE experiment = $experiment'
    exposures = con.sql(query, params={"experiment": EXPERIMENT}).to_arrow_table().to_pandas()
    per_unit = exposures.groupby("unit").agg(
        first=("timestamp", "min"), variants=("variant", "nunique"), variant=("variant", "min")
    )
    clean = per_unit.loc[per_unit["variants"] == 1, ["variant", "first"]]
    return clean, int((per_unit["variants"] > 1).sum())


def read_events(con: duckdb.DuckDBPyConnection, event: str) -> pd.DataFrame:
    query = 'SELECT unit, "timestamp", value FROM events WHERE event = $event'
    return con.sql(query, params={"event": event}).to_arrow_table().to_pandas()


def metric_sums(units: pd.DataFrame, events: pd.DataFrame, spec: Spec) -> dict[str, Any]:
    joined = events.merge(units[["first"]], left_on="unit", right_index=True, how="inner")
    since = joined["timestamp"] - joined["first"]
    post = (since >= pd.Timedelta(0)) & (since < pd.Timedelta(hours=WINDOW_HOURS))
    pre = (since >= -pd.Timedelta(hours=LOOKBACK_HOURS)) & (since < pd.Timedelta(0))
    amount = joined["value"].fillna(0.0) if spec.aggregation == "sum" else 1.0
    flags = pd.DataFrame({"unit": joined["unit"], "y": post * amount, "x": pre * amount})
    sums = flags.groupby("unit")[["y", "x"]].sum()
    table = units[["variant"]].join(sums).fillna({"y": 0.0, "x": 0.0})
    if spec.aggregation == "any":
        table[["y", "x"]] = (table[["y", "x"]] > 0).astype("float64")
    table = table.assign(yy=table["y"] ** 2, xx=table["x"] ** 2, xy=table["x"] * table["y"])
    grouped = table.groupby("variant")[["y", "yy", "x", "xx", "xy"]].sum()
    return {
        str(variant): dict(zip(STAT_NAMES, map(float, row), strict=True))
        for variant, row in grouped.iterrows()
    }
