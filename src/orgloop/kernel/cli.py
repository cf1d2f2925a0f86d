"""Commands for the kernel's resources: ``orgloop login``, ``tokens``, ``audit`` and ``jobs``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orgloop.kernel.client import ApiClient, resolve_login, save_login
from orgloop.kernel.console import client, err, exits, out, print_json, render

tokens_app = typer.Typer(
    help="Create, list and revoke access tokens (admin only).", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@exits
def login(
    token: Annotated[
        str, typer.Option("--token", "-t", prompt=True, hide_input=True, help="The token to use.")
    ],
    url: Annotated[
        str | None,
        typer.Option("--url", help="Server URL (default: ORGLOOP_URL or http://127.0.0.1:8080)."),
    ] = None,
) -> None:
    """Check a token against the server and remember it (and the URL) for later commands."""
    target = url or resolve_login()[0]
    health = ApiClient(target, token).get("/api/v1/health")
    ApiClient(target, token).get("/api/v1/audit", limit=1)
    path = save_login(target, token)
    out.print(f"logged in to {target} (orgloop {health['version']}); saved to {path}")


@tokens_app.command("create")
@exits
def create_token(
    role: Annotated[str, typer.Option("--role", help="admin, member, viewer or sdk.")] = "member",
    team: Annotated[str | None, typer.Option("--team", help="Team of a member token.")] = None,
    env: Annotated[str | None, typer.Option("--env", help="Environment of an SDK key.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="A label to recognise the token by.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a token. Its secret is printed once and never again: store it now.

    Examples:

      orgloop tokens create --team checkout --role member

      orgloop tokens create --role sdk --env production
    """
    created = client().post(
        "/api/v1/tokens", {"role": role, "team": team, "environment": env, "name": name}
    )
    if as_json:
        print_json(created)
        return
    token = created["token"]
    err.print(
        f"created {token['role']} token {token['id']} ({token['name']}); the secret is shown only now:"
    )
    out.print(created["secret"], highlight=False)


@tokens_app.command("list")
@exits
def list_tokens(
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List tokens (never their secrets)."""
    rows = client().get("/api/v1/tokens", include_revoked=include_revoked)
    render(
        rows,
        ["id", "name", "role", "team", "environment", "prefix", "created_at", "revoked_at"],
        as_json=as_json,
    )


@tokens_app.command("revoke")
@exits
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id (see 'tokens list').")],
) -> None:
    """Revoke a token; requests with it are refused from now on."""
    token = client().delete(f"/api/v1/tokens/{token_id}")
    out.print(f"revoked {token['id']} ({token['name']})")


@tokens_app.command("recover")
@exits
def recover_token(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="The server's data directory (ORGLOOP_DATA_DIR); not needed when "
            "ORGLOOP_DATABASE_URL names the database."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a new admin token straight in the database, for an operator locked out.

    Run it on the server's machine, with the server's settings (the data directory or
    ORGLOOP_DATABASE_URL): it needs no token, only access to the database.  The secret is printed
    once; the audit log records it with the actor "recovery".
    """
    from orgloop.kernel.audit import AuditLog
    from orgloop.kernel.clock import SystemClock
    from orgloop.kernel.db import Database
    from orgloop.kernel.ids import RandomIds
    from orgloop.kernel.settings import Settings
    from orgloop.kernel.tokens import TokenService

    settings = Settings(**({"data_dir": data_dir} if data_dir is not None else {}))  # type: ignore[arg-type]
    url = settings.resolved_database_url()
    if not settings.database_url and not (settings.data_dir / "orgloop.db").exists():
        err.print(f"no orgloop database in {settings.data_dir}; pass the server's --data-dir")
        raise typer.Exit(1)
    db = Database.from_url(url)
    clock = SystemClock()
    try:
        tokens = TokenService(
            db=db, audit=AuditLog(db=db, clock=clock), clock=clock, ids=RandomIds()
        )
        created = tokens.recover_admin()
    finally:
        db.engine.dispose()
    if as_json:
        print_json(created.model_dump(mode="json"))
        return
    err.print("Created an admin token. It is shown once; store it now:")
    out.print(created.secret, highlight=False)


@exits
def audit(
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Only this kind of resource: entity (the catalog's services, APIs, teams...), "
            "token, flag, saved_group, experiment, api_version, contract, verification, "
            "deployment or environment.",
        ),
    ] = None,
    resource: Annotated[
        str | None, typer.Option("--resource", help="Only this resource id.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only actions starting with this.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Read the audit log: who changed what, when, before and after (newest first).

    The table's change column is a compact diff of each entry; --json has the full before and
    after.
    """
    from orgloop.kernel.audit_view import change, check_kind

    page = client().get(
        "/api/v1/audit",
        resource_kind=check_kind(kind),
        resource_id=resource,
        action=action,
        limit=limit,
    )
    rows = [{**e, "change": change(e.get("before"), e.get("after"))} for e in page["items"]]
    render(
        rows,
        ["id", "at", "actor", "action", "resource_kind", "resource_id", "change"],
        as_json=as_json,
        raw=page,
    )


@exits
def jobs(as_json: JsonFlag = False) -> None:
    """List the periodic jobs: when each runs next, when it last ran and on which replica.

    However many replicas serve one database, each job runs on one of them per period (the
    scheduled analysis of running experiments, every ORGLOOP_ANALYSIS_INTERVAL_SECONDS).
    "running" is yes while a run is under way, or after its replica stopped in the middle of one
    (the next replica to tick runs it again).
    """
    rows = client().get("/api/v1/jobs")
    columns = ["name", "every_seconds", "due_at", "runs", "last_started_at", "last_finished_at"]
    render(rows, [*columns, "last_replica", "running"], as_json=as_json)
