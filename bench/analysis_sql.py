"""The hand-written DuckDB peers of the analysis benchmark: one metric with CUPED, per variant.

Forms of the same query, kept side by side because they differ in speed or in the rows they read:

- ``best``: written the way a DuckDB expert would: first exposure as integer microseconds
  (``epoch_us``), the one-variant filter as ``min(variant) = max(variant)`` (no distinct
  aggregate), the metric window and the CUPED pre-period in the join condition as integer
  comparisons, so only events inside them reach the per-unit ``GROUP BY``;
- ``uid``: the ``best`` form joined and grouped on the unit numbers the event store keeps on every
  row (``uid``, an integer) instead of the unit strings: what a DuckDB expert would write given
  that column;
- ``same-rows``: the ``best`` form with its event filter widened to the three metrics' event names
  (the metric's own name is then tested in the aggregates): the rows orgloop's one scan sends
  through the join and the per-unit ``GROUP BY``, for the same one metric.  Not a way anyone would
  write one metric; it measures how much of orgloop's cost is the rows alone;
- ``three-metrics`` (``handwritten_sql_three_metrics``): the ``best`` form for all three metrics
  in one query, as a DuckDB expert would write what orgloop computes (one scan of the three
  names, two ``FILTER`` aggregates per metric, the windows in the join): the best hand-written
  query for the same work as orgloop's;
- ``interval``: the straightforward form: ``TIMESTAMPTZ`` plus ``INTERVAL`` per event (DuckDB goes
  through its time-zone calendar for each), ``HAVING count(DISTINCT variant) = 1``, and every
  event of the metric's name joined and then filtered in the aggregates.

Both return ``variant, n, sum(y), sum(y²), sum(x), sum(x²), sum(x·y)`` for the metric's per-unit
value ``y`` over ``[0, WINDOW_HOURS)`` and its covariate ``x`` over ``[-LOOKBACK_HOURS, 0)``.
"""

from __future__ import annotations

from typing import Any

from bench.analysis_pandas import LOOKBACK_HOURS, SPECS, STAT_NAMES, WINDOW_HOURS

EXPERIMENT = "bench"
FORMS = ("best", "uid", "same-rows", "interval")
HOUR_US = 3_600_000_000
WINDOW_US, LOOKBACK_US = round(WINDOW_HOURS * HOUR_US), round(LOOKBACK_HOURS * HOUR_US)

_AGGREGATE = {
    "count": "count(e.{key}) FILTER (WHERE {cond})",
    "sum": "coalesce(sum(e.value) FILTER (WHERE {cond}), 0)",
    "any": "(count(e.{key}) FILTER (WHERE {cond}) > 0)::INT",
}

# First exposures as integer microseconds; units seen in two variants dropped (min = max).
# ``{key}`` is the column that names the unit: ``unit`` (its string) or ``uid`` (its number).
_FIRST_EXPOSURES = """
WITH first_exposures AS (
    SELECT {key}, min(variant) AS variant, epoch_us(min("timestamp")) AS t0
    FROM exposures
    WHERE experiment = '{experiment}'
    GROUP BY {key}
    HAVING min(variant) = max(variant)
),
"""

_BEST = (
    _FIRST_EXPOSURES
    + """per_unit AS (
    SELECT f.variant,
           {y} AS y,
           {x} AS x
    FROM first_exposures f
    LEFT JOIN events e
        ON e.{key} = f.{key} AND {event_filter}
        AND epoch_us(e."timestamp") >= f.t0 - {lookback_us}
        AND epoch_us(e."timestamp") < f.t0 + {window_us}
    GROUP BY f.{key}, f.variant
)
SELECT variant, count(*) AS n, sum(y), sum(y * y), sum(x), sum(x * x), sum(x * y)
FROM per_unit
GROUP BY variant
ORDER BY variant
"""
)

_INTERVAL = """
WITH first_exposures AS (
    SELECT unit, min(variant) AS variant, min("timestamp") AS first_exposure
    FROM exposures
    WHERE experiment = '{experiment}'
    GROUP BY unit
    HAVING count(DISTINCT variant) = 1
),
per_unit AS (
    SELECT f.variant,
           {y} AS y,
           {x} AS x
    FROM first_exposures f
    LEFT JOIN events e ON e.unit = f.unit AND e.event = '{event}'
    GROUP BY f.unit, f.variant
)
SELECT variant, count(*) AS n, sum(y), sum(y * y), sum(x), sum(x * x), sum(x * y)
FROM per_unit
GROUP BY variant
ORDER BY variant
"""


_THREE = (
    _FIRST_EXPOSURES
    + """per_unit AS (
    SELECT f.variant,
           {per_unit}
    FROM first_exposures f
    LEFT JOIN events e
        ON e.{key} = f.{key} AND e.event IN ({names})
        AND epoch_us(e."timestamp") >= f.t0 - {lookback_us}
        AND epoch_us(e."timestamp") < f.t0 + {window_us}
    GROUP BY f.{key}, f.variant
)
SELECT variant, count(*) AS n,
       {sums}
FROM per_unit
GROUP BY variant
ORDER BY variant
"""
)


def handwritten_sql_three_metrics() -> str:
    """All three metrics in one query, in the ``best`` form: per variant ``n`` and, per metric in
    ``SPECS`` order, ``sum(y), sum(y²), sum(x), sum(x²), sum(x·y)``."""
    per_unit, sums = [], []
    for spec in SPECS:
        template = _AGGREGATE[spec.aggregation]
        own = f"e.event = '{spec.event}' AND "
        y, x = f"{spec.key}_y", f"{spec.key}_x"
        post, pre = f'{own}epoch_us(e."timestamp") >= f.t0', f'{own}epoch_us(e."timestamp") < f.t0'
        per_unit.append(template.format(cond=post, key="unit") + f" AS {y}")
        per_unit.append(template.format(cond=pre, key="unit") + f" AS {x}")
        sums += [f"sum({y})", f"sum({y} * {y})", f"sum({x})", f"sum({x} * {x})", f"sum({x} * {y})"]
    return _THREE.format(
        key="unit",
        experiment=EXPERIMENT,
        per_unit=",\n           ".join(per_unit),
        names=", ".join(f"'{s.event}'" for s in SPECS),
        lookback_us=LOOKBACK_US,
        window_us=WINDOW_US,
        sums=",\n       ".join(sums),
    )


def handwritten_sql(key: str, form: str = "best") -> str:
    """The one-metric query for metric ``key`` (``visits``, ``carts``, ``revenue``) in ``form``."""
    spec = next(s for s in SPECS if s.key == key)
    template = _AGGREGATE[spec.aggregation]
    if form in ("best", "uid", "same-rows"):
        unit = "uid" if form == "uid" else "unit"
        event_filter, own = f"e.event = '{spec.event}'", ""
        if form == "same-rows":
            names = ", ".join(f"'{s.event}'" for s in SPECS)
            event_filter, own = f"e.event IN ({names})", f"e.event = '{spec.event}' AND "
        # The join keeps [t0 - lookback, t0 + window); the sign of ts - t0 tells the two apart.
        return _BEST.format(
            key=unit,
            experiment=EXPERIMENT,
            event_filter=event_filter,
            y=template.format(cond=f'{own}epoch_us(e."timestamp") >= f.t0', key=unit),
            x=template.format(cond=f'{own}epoch_us(e."timestamp") < f.t0', key=unit),
            lookback_us=LOOKBACK_US,
            window_us=WINDOW_US,
        )
    if form != "interval":
        raise ValueError(f"unknown form {form!r}; expected one of {', '.join(FORMS)}")
    ts, first = 'e."timestamp"', "f.first_exposure"
    post = f"{ts} >= {first} AND {ts} < {first} + INTERVAL {{h}} HOUR"
    pre = f"{ts} >= {first} - INTERVAL {{h}} HOUR AND {ts} < {first}"
    return _INTERVAL.format(
        experiment=EXPERIMENT,
        event=spec.event,
        y=template.format(cond=post.format(h=int(WINDOW_HOURS)), key="unit"),
        x=template.format(cond=pre.format(h=int(LOOKBACK_HOURS)), key="unit"),
    )


def sums_of_rows(rows: list[tuple[Any, ...]], keys: list[str]) -> dict[str, Any]:
    """These queries' rows (``variant, n``, then five sums per metric of ``keys``, in order) as
    ``{"units": {variant: n}, "metrics": {key: {variant: {stat: value}}}}``."""
    size = len(STAT_NAMES)
    return {
        "units": {str(r[0]): int(r[1]) for r in rows},
        "metrics": {
            key: {
                str(r[0]): dict(
                    zip(STAT_NAMES, map(float, r[2 + i * size : 2 + (i + 1) * size]), strict=True)
                )
                for r in rows
            }
            for i, key in enumerate(keys)
        },
    }
