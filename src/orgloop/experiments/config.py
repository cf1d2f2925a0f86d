"""The offline analysis config (``orgloop analyze CONFIG.yaml``): where the data are, what to read.

A config names one data source (a DuckDB file, Parquet/CSV files, or an Ibis connection URL of a
warehouse, each with an optional column mapping), the experiment, its control, the metrics (inline
or a file) and how to read them.  ``run_config`` opens the source, runs the analysis query in that
database and returns the report; ``run_on`` does the same on a connection the caller opened (a
Spark session, say).  Paths are relative to the config file.  See docs/experiments.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Self

import ibis
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orgloop.experiments.analysis import Correction, Method, Report, Role, Settings, analyse_stats
from orgloop.experiments.metrics import Metric, load_metrics, parse_metrics
from orgloop.experiments.queries import analyse
from orgloop.experiments.warehouse import WarehouseMapping
from orgloop.kernel import yamlguard
from orgloop.kernel.errors import InvalidInput


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Exactly one of ``duckdb``, ``exposures`` + ``events`` (files) or ``url`` (warehouse)."""

    duckdb: str | None = None
    exposures: str | None = Field(default=None, description="A .parquet or .csv file.")
    events: str | None = Field(default=None, description="A .parquet or .csv file.")
    url: str | None = Field(default=None, description="An Ibis connection URL.")
    mapping: WarehouseMapping = WarehouseMapping()

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        files = self.exposures is not None or self.events is not None
        if sum([self.duckdb is not None, files, self.url is not None]) != 1:
            raise ValueError("set exactly one of duckdb, exposures + events, or url")
        if files and (self.exposures is None or self.events is None):
            raise ValueError("files need both exposures and events")
        return self


class Cuped(_Strict):
    """The default for metrics that do not set ``cuped_lookback_hours`` themselves."""

    enabled: bool = True
    lookback_days: float = Field(default=14.0, gt=0, le=365)


class AnalyzeConfig(_Strict):
    source: Source
    experiment: str = Field(
        min_length=1,
        max_length=200,
        description="The experiment analysed; the exposures need no experiment column for it.",
    )
    control: str = Field(default="control", min_length=1)
    variants: dict[str, float] | None = Field(
        default=None, description="Planned traffic weights, for the SRM check; default equal."
    )
    metrics: list[dict[str, Any]] | None = None
    metrics_file: str | None = None
    primary: str | None = Field(default=None, description="Primary metric key; default first.")
    alpha: float = Field(default=0.05, gt=0, lt=1)
    method: Method = "frequentist"
    correction: Correction = "holm"
    cuped: Cuped = Cuped()
    until: datetime | None = None

    @model_validator(mode="after")
    def _metrics_given(self) -> Self:
        if (self.metrics is None) == (self.metrics_file is None):
            raise ValueError("set exactly one of metrics (inline) or metrics_file")
        return self


def load_config(path: Path) -> AnalyzeConfig:
    try:
        data = yamlguard.load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput.at(str(path), f"cannot read the config: {exc.strerror}") from None
    except yamlguard.YamlRefused as exc:
        raise InvalidInput.at(str(path), f"not valid YAML: {exc}") from None
    return parse_config(data)


def parse_config(data: Any) -> AnalyzeConfig:
    try:
        return AnalyzeConfig.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        first = errors[0]
        raise InvalidInput(
            f"{first['path']}: {first['message']}" if first["path"] else first["message"],
            details={"errors": errors},
        ) from None


def config_metrics(config: AnalyzeConfig, base: Path) -> list[Metric]:
    """The metric definitions; a metric that sets ``cuped_lookback_hours`` (a window, or null for
    no CUPED) keeps it, the others take the config's ``cuped`` window (or CUPED off)."""
    if config.metrics_file is not None:
        metrics = load_metrics(base / config.metrics_file)
    else:
        metrics = parse_metrics(config.metrics)
    spans = [m.key for m in metrics if m.kind == "span"]
    if spans:
        raise InvalidInput.at(
            "metrics", f"span metrics ({', '.join(spans)}) need a server with traces; "
            "the offline analysis reads events only",
        )  # fmt: skip
    default = config.cuped.lookback_days * 24 if config.cuped.enabled else None
    return [
        m if "cuped_lookback_hours" in m.model_fields_set
        else m.model_copy(update={"cuped_lookback_hours": default})
        for m in metrics
    ]  # fmt: skip


def settings_of(config: AnalyzeConfig, metrics: list[Metric]) -> Settings:
    roles: dict[str, Role] = {}
    if config.primary is not None:
        if config.primary not in {m.key for m in metrics}:
            raise InvalidInput.at("primary", f"no metric {config.primary!r} in the metrics")
        roles[config.primary] = "primary"
    return Settings(
        control=config.control,
        alpha=config.alpha,
        method=config.method,
        correction=config.correction,
        cuped=True,  # per metric: a metric without a CUPED window has no covariate
        weights=config.variants,
        roles=roles,
    )


def run_config(config: AnalyzeConfig, *, base: Path) -> Report:
    """Open the source, compute the sufficient statistics in it, and analyse them."""
    metrics = config_metrics(config, base)  # a bad config fails before anything is opened
    settings = settings_of(config, metrics)
    con, mapping = _connect(config.source, base)
    try:
        return _report(con, config, metrics, settings, mapping)
    finally:
        con.disconnect()


def run_on(con: Any, config: AnalyzeConfig, *, base: Path) -> Report:
    """The config's analysis on an Ibis connection the caller opened, e.g. on Spark::

        run_on(ibis.pyspark.connect(spark_session), load_config(path), base=path.parent)

    The config's ``source`` is not opened; its ``mapping`` names the tables and columns to read.
    The connection stays open.
    """
    metrics = config_metrics(config, base)
    settings = settings_of(config, metrics)
    return _report(con, config, metrics, settings, config.source.mapping)


def _report(
    con: Any,
    config: AnalyzeConfig,
    metrics: list[Metric],
    settings: Settings,
    mapping: WarehouseMapping,
) -> Report:
    stats = analyse(
        con, experiment=config.experiment, metrics=metrics, mapping=mapping, until=config.until
    )
    return analyse_stats(stats, metrics, settings)


def _connect(source: Source, base: Path) -> tuple[Any, WarehouseMapping]:
    if source.duckdb is not None:
        path = _existing(base / source.duckdb, "source.duckdb")
        return ibis.duckdb.connect(str(path), read_only=True), source.mapping
    if source.url is not None:
        try:
            return ibis.connect(source.url), source.mapping
        except Exception as exc:  # each backend raises its own connection error type
            raise InvalidInput.at("source.url", f"cannot connect: {exc}") from None
    assert source.exposures is not None
    assert source.events is not None
    con = ibis.duckdb.connect()
    mapping = source.mapping
    for name, file, table in (
        ("exposures", source.exposures, mapping.exposures_table),
        ("events", source.events, mapping.events_table),
    ):
        _read_file(con, _existing(base / file, f"source.{name}"), table, f"source.{name}")
    return con, mapping.model_copy(update={"database": None})


def _existing(path: Path, at: str) -> Path:
    if not path.is_file():
        raise InvalidInput.at(at, f"no such file: {path}")
    return path


def _read_file(con: Any, path: Path, table: str, at: str) -> None:
    kind: Literal["parquet", "csv"] | None = {".parquet": "parquet", ".csv": "csv"}.get(  # type: ignore[assignment]
        path.suffix.lower()
    )
    if kind == "parquet":
        con.read_parquet(str(path), table_name=table)
    elif kind == "csv":
        con.read_csv(str(path), table_name=table)
    else:
        raise InvalidInput.at(at, f"{path.name}: expected a .parquet or .csv file")
