"""DORA and flow reports and the imports that feed them: the delivery part of the insights slice.

Reads the catalog (owners, teams, capabilities) and the contracts' deployment records through
their services; keeps imported changes, deployments, incidents and work items in its own tables.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from orgloop.catalog.service import CatalogService
from orgloop.contracts.service import ContractService
from orgloop.insights.delivery import (
    checks,
    csvfiles,
    dora,
    facts,
    flow,
    fourkeys,
    jira,
    store,
    store_reads,
)
from orgloop.insights.delivery.directory import Directory, directory_from
from orgloop.insights.delivery.models import (
    DoraGroup,
    DoraReport,
    FlowGroup,
    FlowReport,
    Handoff,
    StatusClasses,
)
from orgloop.insights.delivery.records import KINDS, Batch, parse_generic
from orgloop.kernel.auth import Principal
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Database
from orgloop.kernel.errors import InvalidInput, NotFound

Source = Literal["github", "gitlab", "jira", "csv", "json"]
SOURCES: tuple[str, ...] = ("github", "gitlab", "jira", "csv", "json")
DEFAULT_WINDOW = timedelta(days=90)


class ImportResult(BaseModel):
    source: str
    file: str
    imported: dict[str, int]
    skipped: int
    stored: dict[str, int]


class DeliveryService:
    def __init__(
        self, *, db: Database, catalog: CatalogService, contracts: ContractService, clock: Clock
    ) -> None:
        self._db = db
        self._catalog = catalog
        self._contracts = contracts
        self._clock = clock

    def directory(self) -> Directory:
        return directory_from(self._catalog.export_descriptors())

    # -- imports -----------------------------------------------------------------------------

    def import_file(
        self,
        source: str,
        content: bytes,
        *,
        file: str,
        actor: Principal,
        kind: str | None = None,
        team_field: str = "Team",
    ) -> ImportResult:
        """Parse, check and store one file: every record lands, or none does."""
        if source not in SOURCES:
            raise InvalidInput.at("source", f"unknown source {source!r}; one of {SOURCES}")
        directory = self.directory()
        batch = Batch(file=file, source=source)
        _parse(batch, source, content, kind=kind, team_field=team_field, directory=directory)
        if not batch.problems:
            checks.check(batch, directory)
        if batch.problems:
            raise InvalidInput(
                f"{file}: {len(batch.problems)} problem(s) in the {source} import; nothing was "
                "imported",
                details={"errors": batch.problems},
            )
        for team in _owners(batch, directory):
            actor.require_write(owner=team, what=f"the delivery records of team {team}")
        with self._db.transaction() as session:
            store.save(session, batch)
            stored = store.counts(session)
        return ImportResult(
            source=source, file=file, imported=batch.count(), skipped=batch.skipped, stored=stored
        )

    # -- reports -----------------------------------------------------------------------------

    def dora(
        self,
        *,
        team: str | None = None,
        service: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        group_by: Literal["team", "service"] = "team",
        weekly: bool = False,
    ) -> DoraReport:
        since, until = self._window(since, until)
        directory = self.directory()
        owner = dict(directory.owner)
        services = sorted(owner)
        if service is not None:
            if service.lower() not in owner:
                raise NotFound(
                    f"no service {service!r} in the catalog", details={"service": service}
                )
            services = [service.lower()]
            group_by = "service"
        if team is not None:
            self._known_team(team, directory)
            services = [s for s in services if owner[s] == team.lower()]
        keys = services if group_by == "service" else sorted({owner[s] for s in services})
        code = {k: i for i, k in enumerate(keys)}
        group_of = {s: code[s if group_by == "service" else owner[s]] for s in services}
        with self._db.reading() as session:
            narrowed = services if len(services) < len(owner) else None
            rows = store_reads.dora_rows(session, until, narrowed)
        rows["deploys"].extend(self._own_deploys(len(rows["deploys"]), since, until))
        built = facts.dora_facts(group_of=group_of, **rows)
        result = dora.compute(built, len(keys), since, until, weekly=weekly)
        groups = [
            DoraGroup(
                key=k,
                team=owner[k] if group_by == "service" else k,
                metrics=result.groups[i],
                weeks=result.weeks[i],
            )
            for i, k in enumerate(keys)
            if result.groups[i].deployments or result.groups[i].incidents or k == team
        ]
        return DoraReport(
            since=since, until=until, group_by=group_by, total=result.total, groups=groups
        )

    def flow(
        self,
        *,
        team: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        classes: StatusClasses = flow.DEFAULT_CLASSES,
        weekly: bool = False,
    ) -> FlowReport:
        since, until = self._window(since, until)
        directory = self.directory()
        teams = sorted(directory.teams)
        if team is not None:
            self._known_team(team, directory)
            teams = [team.lower()]
        systems = sorted(directory.systems)
        codes = facts.FlowCodes(
            teams={t: i for i, t in enumerate(teams)},
            capabilities={s: i for i, s in enumerate(systems)},
        )
        with self._db.reading() as session:
            read = store_reads.flow_items_default if _defaults(classes) else store_reads.flow_items
            rows = read(session, classes, since, until, [team.lower()] if team else None)
        items, defects = facts.item_flow_rows(codes, rows["items"], rows["defects"])
        total, by_team, by_capability, weeks = flow.summarise(
            items,
            defects,
            n_teams=len(teams),
            n_capabilities=len(systems),
            since=since,
            until=until,
            weekly=weekly,
        )
        return FlowReport(
            since=since,
            until=until,
            statuses=classes,
            total=total,
            teams=[
                FlowGroup(key=t, metrics=by_team[i], weeks=weeks[i])
                for i, t in enumerate(teams)
                if by_team[i].items_completed or t == team
            ],
            capabilities=[
                FlowGroup(key=c, metrics=by_capability[i], weeks=[])
                for i, c in enumerate(systems)
                if by_capability[i].items_completed
            ],
            handoffs=[
                Handoff(from_team=a, to_team=b, count=n)
                for a, b, n in sorted(rows["pairs"], key=lambda p: (-p[2], p[0], p[1]))
            ],
            unclassified_statuses=rows["unclassified"],
        )

    # -- helpers -----------------------------------------------------------------------------

    def _window(self, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
        until = until or self._clock.now()
        since = since or until - DEFAULT_WINDOW
        if since >= until:
            raise InvalidInput.at("since", "the window is empty: since must be before until")
        return since, until

    def _known_team(self, team: str, directory: Directory) -> None:
        if team.lower() not in directory.teams:
            raise NotFound(f"no team {team!r} in the catalog", details={"team": team})

    def _own_deploys(self, offset: int, since: datetime, until: datetime) -> list[facts.DeployRow]:
        """orgloop's own deployment history in the window (from contracts, every deployment
        recorded there, replaced ones included): counted, without changes or incidents."""
        own = self._contracts.deployment_history(since=since, until=until)
        return [
            (-(offset + i + 1), d.service.lower(), int(d.started_at.timestamp()))
            for i, d in enumerate(own)
        ]


def _parse(
    batch: Batch,
    source: str,
    content: bytes,
    *,
    kind: str | None,
    team_field: str,
    directory: Directory,
) -> None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        batch.problem("$", None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return
    if source == "csv":
        csvfiles.parse_csv(batch, text, kind)
        return
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        batch.problem(f"line {exc.lineno}", None, f"not JSON: {exc.msg} (column {exc.colno})")
        return
    if source == "github":
        fourkeys.parse_github(batch, data, directory.service_for)
    elif source == "gitlab":
        fourkeys.parse_gitlab(batch, data, directory.service_for)
    elif source == "jira":
        jira.parse_jira(batch, data, team_field=team_field)
    else:
        parse_generic(batch, data)
    if kind is not None and kind not in KINDS:
        batch.problem("$", "kind", f"unknown kind {kind!r}; one of {', '.join(KINDS)}")


def _defaults(classes: StatusClasses) -> bool:
    """Whether each item's stored flow (computed with the default classes) answers."""
    fields = ("active", "waiting", "done", "backlog")
    return all(getattr(classes, f) == getattr(flow.DEFAULT_CLASSES, f) for f in fields)


def _owners(batch: Batch, directory: Directory) -> set[str]:
    owners = {
        directory.owner[located.record.service.lower()]
        for kind in ("changes", "deployments", "incidents")
        for located in getattr(batch, kind)
    }
    return owners | {w.record.team.lower() for w in batch.work_items}
