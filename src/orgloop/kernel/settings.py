"""Settings read from the environment (prefix ``ORGLOOP_``) with defaults for one machine."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything orgloop's server can be told; every field has an ``ORGLOOP_`` variable."""

    model_config = SettingsConfigDict(env_prefix="ORGLOOP_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".orgloop"), description="Where SQLite and DuckDB files live."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata database; default: SQLite in the data directory.",
    )
    events_shared_dir: Path | None = Field(
        default=None,
        description=(
            "Several replicas: a directory every replica can read and write (one volume, "
            "mounted by all) where each seals its tracked events as Parquet files; analyses read "
            "every replica's events from it. Unset: one replica, events in the data directory only."
        ),
    )
    host: str = "127.0.0.1"
    port: int = 8080
    max_request_bytes: int = Field(default=16 * 1024 * 1024, description="Larger bodies get 413.")
    sse_heartbeat_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Comment lines on idle SDK streams keep proxies from closing them.",
    )
    analysis_interval_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="How often 'orgloop serve' analyses running experiments (0: never).",
    )
    public_url: str | None = Field(default=None, description="URL printed for people to open.")
    trace_retention_hours: float = Field(
        default=72.0, gt=0, description="Spans and paired calls older than this are deleted."
    )
    trace_pairing_ttl_seconds: float = Field(
        default=10.0, gt=0, description="How long a client or server span waits for its partner."
    )
    trace_pairing_max_items: int = Field(
        default=100_000, ge=1, description="Unpaired spans held at most (more are dropped)."
    )
    metrics_public: bool = Field(
        default=False, description="Serve /metrics without a token (for scrapers that send none)."
    )
    otlp_port: int | None = Field(
        default=None,
        description="Also receive OTLP/HTTP spans on this port (conventionally 4318).",
    )
    service_graph_prometheus_url: str | None = Field(
        default=None,
        description=(
            "Read the service graph from this Prometheus (servicegraph connector metrics, e.g. "
            "written by a Collector fleet) instead of pairing spans in orgloop."
        ),
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'orgloop.db').resolve()}"

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
