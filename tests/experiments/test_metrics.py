"""Metric definitions: validation names the field, YAML loads safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orgloop.experiments.errors import MetricInvalid
from orgloop.experiments.metrics import load_metrics, parse_metrics

YAML = """
metrics:
  - key: revenue
    name: Revenue per user
    event: purchase
    aggregation: sum
    window: {start_hours: 0, end_hours: 168}
    cap: {percentile: 0.99}
  - key: converted
    kind: proportion
    event: purchase
  - key: errors-per-session
    kind: ratio
    numerator: {event: error}
    denominator: {event: session_start}
    direction: decrease
    guardrail: true
  - key: time-to-finish-p90
    kind: quantile
    quantile: 0.9
    event: finish
    aggregation: max
    cuped_lookback_hours: null
"""


def test_a_yaml_file_of_metrics_loads(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text(YAML)
    metrics = load_metrics(path)
    assert [m.key for m in metrics] == [
        "revenue",
        "converted",
        "errors-per-session",
        "time-to-finish-p90",
    ]
    assert metrics[1].aggregation == "any"
    assert metrics[2].guardrail
    assert metrics[2].direction == "decrease"
    assert metrics[0].window.end_hours == 168
    assert metrics[3].cuped_lookback_hours is None


@pytest.mark.parametrize(
    ("metric", "path", "words"),
    [
        pytest.param({"key": "Bad Key", "event": "e"}, "metrics[0].key", "pattern", id="key"),
        pytest.param({"key": "m"}, "metrics[0]", "needs the event", id="no-event"),
        pytest.param(
            {"key": "m", "kind": "ratio", "numerator": {"event": "a"}},
            "metrics[0]",
            "denominator",
            id="ratio-half",
        ),
        pytest.param(
            {"key": "m", "kind": "quantile", "event": "e"},
            "metrics[0]",
            "quantile",
            id="quantile-level",
        ),
        pytest.param(
            {"key": "m", "event": "e", "quantile": 0.5},
            "metrics[0]",
            "quantile",
            id="level-on-mean",
        ),
        pytest.param(
            {"key": "m", "event": "e", "aggregation": "median"},
            "metrics[0].aggregation",
            "",
            id="aggregation",
        ),
        pytest.param(
            {"key": "m", "event": "e", "window": {"start_hours": 5, "end_hours": 1}},
            "metrics[0].window",
            "greater",
            id="window",
        ),
        pytest.param(
            {"key": "m", "event": "e", "cap": {}}, "metrics[0].cap", "exactly one", id="cap-none"
        ),
        pytest.param(
            {"key": "m", "event": "e", "cap": {"percentile": 1.5}},
            "metrics[0].cap.percentile",
            "",
            id="cap-percentile",
        ),
        pytest.param(
            {"key": "m", "kind": "proportion", "event": "e", "aggregation": "sum"},
            "metrics[0]",
            "any",
            id="proportion-sum",
        ),
        pytest.param(
            {"key": "m", "event": "e", "colour": "red"}, "metrics[0].colour", "", id="unknown-field"
        ),
    ],
)
def test_a_wrong_definition_names_the_field(metric: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(MetricInvalid) as caught:
        parse_metrics([metric])
    error = caught.value.details["errors"][0]
    assert error["path"] == path
    assert words in error["message"]


def test_metric_keys_must_be_unique() -> None:
    with pytest.raises(MetricInvalid, match="repeated: m"):
        parse_metrics([{"key": "m", "event": "a"}, {"key": "m", "event": "b"}])


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "metrics.yaml"
    path.write_text("metrics: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(MetricInvalid, match="not valid YAML"):
        load_metrics(path)
