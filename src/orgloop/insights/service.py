"""The insights slice's public interface: gathers inputs from the other slices' services and
runs the pure computations (conway, monolith, teamshape, velocity, whatif) on them.

Insights keeps no copy of another slice's data: every report reads the catalog, the contracts'
deployment records, the experiments and (when wired) the traces' service graph afresh.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from orgloop.catalog.service import CatalogService
from orgloop.contracts.service import ContractService
from orgloop.experiments.service import ExperimentService
from orgloop.insights import reports
from orgloop.insights.lockstep import Deploy
from orgloop.insights.models import (
    ConwayReport,
    MonolithReport,
    TeamShapeReport,
    Thresholds,
    VelocityReport,
)
from orgloop.insights.monolith import TraceFacts, signals
from orgloop.insights.observed import from_graph
from orgloop.insights.org import Org, org_from_descriptors, short
from orgloop.insights.velocity import Run, velocity
from orgloop.insights.whatif import what_if
from orgloop.kernel.clock import Clock
from orgloop.kernel.errors import NotFound
from orgloop.traces.service import TraceService

GRAPH_WINDOW = timedelta(days=7)


@overload
def utc(at: datetime) -> datetime: ...
@overload
def utc(at: None) -> None: ...
@overload
def utc(at: datetime | None) -> datetime | None: ...
def utc(at: datetime | None) -> datetime | None:
    """Times without a zone are UTC (SQLite returns them so, and users may type them so)."""
    return None if at is None else at if at.tzinfo else at.replace(tzinfo=UTC)


class InsightsService:
    def __init__(
        self,
        *,
        catalog: CatalogService,
        contracts: ContractService,
        experiments: ExperimentService,
        clock: Clock,
        traces: TraceService | None = None,
    ) -> None:
        self.catalog = catalog
        self.contracts = contracts
        self.experiments = experiments
        self.clock = clock
        self.traces = traces

    # -- inputs ------------------------------------------------------------------------------

    def organisation(
        self, since: datetime | None = None, *, depths: bool = False
    ) -> tuple[Org, TraceFacts | None, str]:
        """The organisation with its calls: observed (traces) where there are any, else declared;
        with traces, a service they never saw keeps its declared calls.

        Returns the org, what traces add (or None) and the source: 'traces' or 'declared'.
        ``depths``: also read how deep the traces call per entry point (a query over the
        window's calls that only the monolith report needs).
        """
        org = org_from_descriptors(self.catalog.export_descriptors())
        if self.traces is not None:
            window = utc(since) or GRAPH_WINDOW
            measured = self.traces.call_depths(since=window) if depths else []
            observed = from_graph(self.traces.graph(since=window), measured)
            if observed.calls:
                # Services the traces never saw keep their declared calls (not instrumented yet).
                unseen = [c for c in org.calls if c.source not in observed.seen]
                calls = (*observed.calls, *unseen)
                storage = {**org.storage, **observed.storage}
                return replace(org, calls=calls, storage=storage), observed.facts, "traces"
        return org, None, "declared"

    def _with_versions(self, org: Org) -> list[Any]:
        """The APIs with the versions contracts has published (one read per providing service
        with consumers; only the monolith report needs them)."""
        versions: dict[str, list[str]] = {}
        for provider in sorted({a.provider for a in org.apis if a.provider and a.consumers}):
            for v in self.contracts.list_api_versions(provider):
                versions.setdefault(short(v.api) if v.api else provider, []).append(v.version)
                versions.setdefault(f"{provider}#any", []).append(v.version)
        found = []
        for api in org.apis:
            if api.provider and api.consumers:
                mine = versions.get(api.name) or versions.get(f"{api.provider}#any", [])
                api = replace(api, versions=tuple(mine))
            found.append(api)
        return found

    def deploys(self, since: datetime | None = None) -> list[Deploy]:
        """Every deployment recorded in the contracts slice since ``since`` (its history: the
        current deployments and those since replaced or undeployed; not releases)."""
        return [
            Deploy(d.service.lower(), utc(d.started_at))
            for d in self.contracts.deployment_history(since=utc(since))
        ]

    # -- reports -----------------------------------------------------------------------------

    def conway(self, *, team: str | None = None, since: datetime | None = None) -> ConwayReport:
        org, _, source = self.organisation(since)
        self._known_team(org, team)
        return reports.conway_report(org, source=source, team=team)

    def monolith(
        self,
        *,
        team: str | None = None,
        since: datetime | None = None,
        thresholds: Thresholds | None = None,
    ) -> MonolithReport:
        org, facts, source = self.organisation(since, depths=True)
        self._known_team(org, team)
        org = replace(org, apis=tuple(self._with_versions(org)))
        t = thresholds or Thresholds()
        deploys = self.deploys(since)
        found = signals(org, deploys, thresholds=t, traces=facts)
        if team is not None:
            found = [s for s in found if team.lower() in s.teams]
        return reports.monolith_report(found, source=source, deploys=len(deploys), thresholds=t)

    def teams(self, *, team: str | None = None) -> TeamShapeReport:
        org, _, _ = self.organisation()
        self._known_team(org, team)
        return reports.team_shape_report(org, team=team)

    def velocity(self, *, team: str | None = None, since: datetime | None = None) -> VelocityReport:
        runs = [
            Run(short(x.owner), utc(x.started_at), utc(x.decided_at), x.decision)
            for x in self.experiments.learnings().items
        ]
        if team is not None:
            runs = [r for r in runs if r.team == short(team)]
        return reports.velocity_report(velocity(runs, since=utc(since)), since=utc(since))

    def what_if(
        self, body: Any, *, source: str = "scenario", thresholds: Thresholds | None = None
    ) -> dict[str, Any]:
        org, _, _ = self.organisation()
        return what_if(org, body, self.deploys(), source=source, thresholds=thresholds)

    @staticmethod
    def _known_team(org: Org, team: str | None) -> None:
        if team is not None and short(team) not in set(org.teams) | set(org.owner.values()):
            raise NotFound(f"no team {team!r} in the catalog", details={"team": team})
