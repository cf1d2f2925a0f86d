"""``orgloop catalog ...`` and the catalog listings (thin: parse, call the client, render)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from orgloop.catalog.cli_validate import run_validate
from orgloop.catalog.client import CatalogClient, descriptor_payload
from orgloop.catalog.descriptors import to_entity
from orgloop.catalog.entities import Issue, Source
from orgloop.catalog.errors import CatalogInvalid
from orgloop.catalog.locations import load_paths
from orgloop.catalog.writer import entity_to_dict as descriptor_of
from orgloop.catalog.writer import write_catalog
from orgloop.kernel.console import client, err, exits, out, print_json, render

app = typer.Typer(
    help="The catalog: teams, people, services, APIs, systems and domains.", no_args_is_help=True
)


class Layout(StrEnum):
    kind = "kind"
    entity = "entity"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Paths = Annotated[
    list[Path], typer.Argument(help="Descriptor files or directories (Locations are followed).")
]


@app.command()
def validate(paths: Paths, as_json: JsonFlag = False) -> None:
    """Check descriptor files offline (no server needed).

    Prints entity counts per kind, the number of relations and every error with its file,
    document index and field path. Exit 0 valid, 1 invalid, 2 unreadable input.

    Example: orgloop catalog validate catalog/
    """
    text, code = run_validate([str(p) for p in paths], as_json=as_json)
    typer.echo(text, err=code != 0 and not as_json, nl=not text.endswith("\n"))
    raise typer.Exit(code)


@app.command("import")
@exits
def import_(
    paths: Paths,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove catalog entities missing from these files.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import descriptor files into the server's catalog, all or nothing.

    Re-importing the same files changes nothing. Entities in the catalog but missing from the
    files are counted and kept; --prune deletes them (with --dry-run: lists what it would delete).
    YAML files under a directory that are not descriptors are skipped, with a note.
    """
    loaded = load_paths(paths)
    if loaded.issues:
        raise CatalogInvalid.of(loaded.issues)
    note = loaded.skipped_note()
    if note is not None and not as_json:
        err.print(note, markup=False, highlight=False)
    items = [descriptor_payload(e, descriptor_of(e)) for e in loaded.entities]
    report = CatalogClient(client()).import_descriptors(items, prune=prune, dry_run=dry_run)
    if as_json:
        print_json(report)
        return
    verb = "would import" if report["dry_run"] else "imported"
    out.print(
        f"{verb} {len(items)} entities from {len(loaded.files)} files: {len(report['created'])} created, "
        f"{len(report['updated'])} updated, {report['unchanged']} unchanged; {report['relations']} relations"
    )
    for ref in report["created"]:
        out.print(f"  [green]+[/green] {ref}")
    for ref in report["updated"]:
        out.print(f"  [yellow]~[/yellow] {ref}")
    for ref in report["removed"]:
        out.print(f"  [red]-[/red] {ref}")
    kept = [r for r in report["missing"] if r not in report["removed"]]
    if kept:
        count = f"{len(kept)} catalog entit{'ies' if len(kept) != 1 else 'y'}"
        err.print(
            f"{count} not in these files {'are' if len(kept) != 1 else 'is'} kept; "
            "--prune would delete them (--prune --dry-run lists them)"
        )


@app.command()
@exits
def export(
    directory: Annotated[Path, typer.Argument(help="Where to write the descriptor files.")],
    layout: Annotated[
        Layout, typer.Option(help="One file per kind (components.yaml, ...) or one per entity.")
    ] = Layout.kind,
) -> None:
    """Write the whole catalog as Backstage descriptor files (stable: same catalog, same bytes)."""
    issues: list[Issue] = []
    entities = [
        entity
        for index, raw in enumerate(CatalogClient(client()).export())
        if (entity := to_entity(raw, Source("<server>", index), issues)) is not None
    ]
    for path in write_catalog(entities, directory, layout=layout.value):
        out.print(f"wrote {path}")
    out.print(f"{len(entities)} entities exported to {directory}")


def _listing(collection: str, columns: list[str], help_text: str) -> None:
    @exits
    def command(
        owner: Annotated[str | None, typer.Option(help="Owning group, e.g. checkout.")] = None,
        system: Annotated[str | None, typer.Option(help="System (business capability).")] = None,
        lifecycle: Annotated[
            str | None, typer.Option(help="e.g. production, experimental.")
        ] = None,
        limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
        offset: Annotated[int, typer.Option(min=0)] = 0,
        as_json: JsonFlag = False,
    ) -> None:
        page = CatalogClient(client()).list(
            collection, owner=owner, system=system, lifecycle=lifecycle, limit=limit, offset=offset
        )
        render(
            page["items"],
            columns,
            as_json=as_json,
            raw=page,
            title=f"{collection} ({page['total']})",
        )

    command.__doc__ = help_text
    app.command(collection)(command)


_listing("teams", ["name", "title", "type", "owner"], "List teams (Groups of type team).")
_listing("people", ["name", "title", "owner"], "List people (Users).")
_listing(
    "services",
    ["name", "owner", "system", "lifecycle"],
    "List services (Components of type service).",
)
_listing("apis", ["name", "type", "owner", "system", "lifecycle"], "List APIs.")
_listing("systems", ["name", "owner", "title"], "List systems (business capabilities).")
_listing("domains", ["name", "owner", "title"], "List domains (groups of systems).")


@app.command()
@exits
def show(
    ref: Annotated[
        str, typer.Argument(help="An entity ref, e.g. component:payments or group:checkout.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Show one entity and its relations."""
    kind, _, rest = ref.partition(":") if ":" in ref else ("component", "", ref)
    namespace, _, name = rest.rpartition("/")
    entity = client().get(f"/api/v1/catalog/entities/{kind}/{namespace or 'default'}/{name}")
    if as_json:
        print_json(entity)
        return
    out.print(f"[bold]{entity['ref']}[/bold]  {entity.get('title') or ''}")
    for key in ("type", "lifecycle", "owner", "system", "description"):
        if entity.get(key):
            out.print(f"  {key}: {entity[key]}")
    render(entity["relations"], ["type", "target"], as_json=False)
