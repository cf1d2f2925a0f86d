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

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'orgloop.db').resolve()}"

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
