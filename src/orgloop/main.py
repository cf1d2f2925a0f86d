"""The ``orgloop`` command: every slice's commands under one root, grouped in help panels."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orgloop import __version__
from orgloop.catalog import cli as catalog_cli
from orgloop.contracts import cli as contracts_cli
from orgloop.experiments import cli as experiments_cli
from orgloop.flags import cli as flags_cli
from orgloop.insights import cli as insights_cli
from orgloop.kernel import cli as kernel_cli
from orgloop.kernel.cli_help import HelpGroup
from orgloop.kernel.console import err, out
from orgloop.traces import cli as traces_cli

if TYPE_CHECKING:
    import uvicorn

    from orgloop.app import Services

app = typer.Typer(
    name="orgloop",
    help="orgloop: who owns what, can it ship alone, and is the idea working.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    cls=HelpGroup,
)
db_app = typer.Typer(help="Manage the metadata database.", no_args_is_help=True)

app.command("login", rich_help_panel="Access")(kernel_cli.login)
app.add_typer(kernel_cli.tokens_app, name="tokens", rich_help_panel="Access")
app.command("audit", rich_help_panel="Access")(kernel_cli.audit)
app.command("jobs", rich_help_panel="Access")(kernel_cli.jobs)
app.add_typer(db_app, name="db", rich_help_panel="Server")
app.add_typer(catalog_cli.app, name="catalog", rich_help_panel="Who owns what")
app.add_typer(contracts_cli.app, name="contracts", rich_help_panel="Can it ship alone")
app.add_typer(
    contracts_cli.deployments_app, name="deployments", rich_help_panel="Can it ship alone"
)
app.command("can-i-deploy", rich_help_panel="Can it ship alone")(contracts_cli.can_i_deploy)
app.add_typer(flags_cli.app, name="flags", rich_help_panel="Is it working")
app.add_typer(experiments_cli.app, name="experiments", rich_help_panel="Is it working")
app.command("analyze", rich_help_panel="Is it working")(experiments_cli.analyze)
app.add_typer(traces_cli.app, name="traces", rich_help_panel="How it runs")
app.add_typer(insights_cli.app, name="insights", rich_help_panel="How it runs")


def _version(value: bool) -> None:
    if value:
        out.print(f"orgloop {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """orgloop: who owns what, can it ship alone, and is the idea working."""


@app.command(rich_help_panel="Server")
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (ORGLOOP_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (ORGLOOP_PORT).")] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (ORGLOOP_DATA_DIR).")
    ] = None,
) -> None:
    """Run the server: applies migrations, creates the first admin token on first start, serves."""
    import uvicorn

    from orgloop.app import build_services, create_app
    from orgloop.kernel.settings import Settings

    overrides = {
        k: v for k, v in {"host": host, "port": port, "data_dir": data_dir}.items() if v is not None
    }
    settings = Settings(**overrides)  # type: ignore[arg-type]
    services = build_services(settings)
    first = services.tokens.bootstrap_admin()
    if first is not None:
        err.print(
            "[bold]First start:[/bold] created an admin token. It is shown once; store it now:"
        )
        out.print(first.secret, highlight=False)
    if settings.analysis_interval_seconds > 0:
        from orgloop.experiments.schedule import AnalysisSchedule

        schedule = AnalysisSchedule(
            services.experiments, interval=settings.analysis_interval_seconds
        )
        # one replica analyses per period, however many serve the same database
        services.jobs.every(
            settings.analysis_interval_seconds, "experiments.analysis", schedule.run_once
        )
    err.print(f"orgloop {__version__} serving {settings.base_url()}  (data: {settings.data_dir})")
    receivers: list[tuple[uvicorn.Server, threading.Thread]] = []
    if settings.otlp_port:
        from orgloop.app import create_otlp_app

        otlp = uvicorn.Server(
            uvicorn.Config(
                create_otlp_app(services),
                host=settings.host,
                port=settings.otlp_port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=otlp.run, name="otlp-receiver", daemon=True)
        thread.start()
        receivers.append((otlp, thread))
        err.print(f"OTLP/HTTP receiver on http://{settings.host}:{settings.otlp_port}/v1/traces")
    # Open SDK streams never end by themselves: after SIGTERM, requests still running after
    # 10 s are cancelled (none of them was acknowledged) so a rolling upgrade never waits forever.
    config = uvicorn.Config(
        create_app(services=services), host=settings.host, port=settings.port,
        log_level="warning", timeout_graceful_shutdown=10,
    )  # fmt: skip
    _serve_then_close(uvicorn.Server(config).run, services, receivers)


def _serve_then_close(
    run: Callable[[], object],
    services: Services,
    receivers: list[tuple[uvicorn.Server, threading.Thread]],
) -> None:
    """Serve until asked to stop, then close the services before the process ends: the event
    store loads what its ingest log still holds into its tables and checkpoints, the job runner
    and the traces store stop.

    uvicorn answers SIGTERM with a graceful stop and then raises SIGTERM again with the handler
    it found in place; with Python's default that ends the process at once, before any of this.
    So SIGTERM is only noted while serving, and raised again with the default action once
    everything is closed: the exit status still says SIGTERM."""
    stopped: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: stopped.append(signum))
    try:
        run()
    finally:
        for receiver, thread in receivers:
            receiver.should_exit = True
            thread.join(timeout=15)
        services.close()
        signal.signal(signal.SIGTERM, previous)
    if stopped:
        signal.raise_signal(signal.SIGTERM)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the database (ORGLOOP_DATABASE_URL or the data directory)."""
    from orgloop.kernel import db
    from orgloop.kernel.settings import Settings

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    db.upgrade(db.make_engine(url))
    out.print(f"database is up to date ({url.split('@')[-1]})")


if __name__ == "__main__":
    app()
