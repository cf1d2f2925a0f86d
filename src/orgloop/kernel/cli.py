"""Commands for the kernel's resources: ``orgloop login``, ``tokens`` and ``audit``."""

from __future__ import annotations

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


@exits
def audit(
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this resource kind, e.g. service, flag.")
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
    """Read the audit log: who changed what, when, before and after (newest first)."""
    page = client().get(
        "/api/v1/audit", resource_kind=kind, resource_id=resource, action=action, limit=limit
    )
    render(
        page["items"],
        ["id", "at", "actor", "action", "resource_kind", "resource_id"],
        as_json=as_json,
        raw=page,
    )
