"""The dashboard's routes: every page is HTML, and JSON at the same path plus ``.json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from orgloop.catalog.service import CatalogService
from orgloop.contracts.service import ContractService
from orgloop.experiments.service import ExperimentService
from orgloop.flags.service import FlagService
from orgloop.kernel.auth import Principal
from orgloop.kernel.clock import Clock, SystemClock
from orgloop.traces.service import TraceService
from orgloop.web import (
    attention,
    catalogviews,
    contractviews,
    experimentviews,
    flagactions,
    flagviews,
    login,
    overview,
    related,
    servicecontracts,
    session,
    traceviews,
)
from orgloop.web.csrf import token_for
from orgloop.web.nav import COMING
from orgloop.web.reader import Reader
from orgloop.web.servicegraph import graph_view, read_graph
from orgloop.web.serving import PageBuild, add_page

Build = Callable[..., dict[str, Any]]


def build_router(
    *,
    catalog: CatalogService,
    contracts: ContractService,
    flags: FlagService,
    experiments: ExperimentService,
    traces: TraceService | None = None,
    clock: Clock | None = None,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    reader = Reader(catalog)
    login.add_routes(router)
    for path, template, page in _linked_pages(
        reader, contracts, flags, experiments, clock or SystemClock()
    ):
        add_page(router, path, template, page)
    catalog_pages: list[tuple[str, str, Build]] = [
        ("/teams", "teams.html", overview.teams),
        ("/services", "services.html", overview.services),
        ("/apis", "apis.html", overview.apis),
        ("/apis/{name}", "api.html", catalogviews.api_page),
        ("/systems", "systems.html", overview.systems),
        ("/systems/{name}", "system.html", catalogviews.system_page),
        ("/groups", "groups.html", overview.group_tree),
        ("/graph", "graph.html", _graph),
    ]
    for path, template, build in catalog_pages:
        add_page(router, path, template, _bound(build, reader))
    for path, template, page in [
        *_contract_pages(reader, contracts),
        *_flag_pages(reader, flags, experiments),
        *_experiment_pages(reader, experiments, flags),
        *(_trace_pages(reader, traces) if traces is not None else []),
    ]:
        add_page(router, path, template, page)
    flagactions.add_routes(router, flags)
    for path, coming in COMING.items():
        add_page(router, path, "coming.html", _constant({"coming": coming}))
    return router


def _contract_pages(reader: Reader, contracts: ContractService) -> list[tuple[str, str, PageBuild]]:
    return [
        ("/contracts/versions", "contracts_index.html",
         lambda _r, _p: contractviews.versions_index(reader, contracts)),
        ("/contracts/services/{name}", "contracts_service.html",
         lambda r, _p: servicecontracts.service_contracts(reader, contracts, r.path_params["name"])),
        ("/contracts/environments", "environments.html",
         lambda _r, _p: contractviews.matrix(reader, contracts)),
        ("/contracts/can-i-deploy", "can_i_deploy.html",
         lambda r, _p: contractviews.can_i_deploy_page(reader, contracts, _query(r))),
        ("/contracts/deprecations", "deprecations.html",
         lambda r, _p: contractviews.deprecations_page(reader, contracts, _query(r))),
    ]  # fmt: skip


def _linked_pages(
    reader: Reader,
    contracts: ContractService,
    flags: FlagService,
    experiments: ExperimentService,
    clock: Clock,
) -> list[tuple[str, str, PageBuild]]:
    """The home page and the pages of teams and services: catalog data, plus what links them
    to contracts, flags, experiments and deploys."""

    def home(request: Request, principal: Principal) -> dict[str, Any]:
        needs = attention.attention(
            reader, contracts=contracts, flags=flags, experiments=experiments,
            principal=principal, query=_query(request), now=clock.now(),
        )  # fmt: skip
        return overview.dashboard(reader) | needs

    def team(request: Request, _principal: Principal) -> dict[str, Any]:
        name = request.path_params["name"]
        page = catalogviews.team_page(reader, name)
        services = [s["name"] for s in page["services"]]
        mine = related.for_team(
            name, services, contracts=contracts, flags=flags, experiments=experiments,
            now=clock.now(),
        )  # fmt: skip
        return page | {"related": mine}

    def service(request: Request, _principal: Principal) -> dict[str, Any]:
        name = request.path_params["name"]
        page = catalogviews.service_page(reader, name)
        owner = page["owner"]["ref"] if page["owner"] else None
        mine = related.for_service(
            name, owner, contracts=contracts, flags=flags, experiments=experiments
        )
        return page | {"related": mine}

    return [
        ("/", "dashboard.html", home),
        ("/teams/{name}", "team.html", team),
        ("/services/{name}", "service.html", service),
    ]


def _flag_pages(
    reader: Reader, flags: FlagService, experiments: ExperimentService
) -> list[tuple[str, str, PageBuild]]:
    def flag(request: Request, principal: Principal) -> dict[str, Any]:
        csrf = token_for(session.token_of(request) or "")
        key = request.path_params["key"]
        return flagviews.flag_page(
            reader, flags, experiments, key, _query(request), principal=principal, csrf=csrf
        )

    return [
        ("/flags", "flags.html", lambda r, _p: flagviews.flags_index(reader, flags, _query(r))),
        ("/flags/{key}", "flag.html", flag),
    ]


def _experiment_pages(
    reader: Reader, experiments: ExperimentService, flags: FlagService
) -> list[tuple[str, str, PageBuild]]:
    # Fixed paths before "/experiments/{key}", which would otherwise take them as keys.
    return [
        ("/experiments", "experiments.html",
         lambda r, _p: experimentviews.experiments_index(reader, experiments, flags, _query(r))),
        ("/experiments/learnings", "learnings.html",
         lambda r, _p: experimentviews.learnings_page(reader, experiments, _query(r))),
        ("/experiments/velocity", "velocity.html",
         lambda r, _p: experimentviews.velocity_page(reader, experiments, _query(r))),
        ("/experiments/{key}", "experiment.html",
         lambda r, p: experimentviews.experiment_page(
             reader, experiments, flags, r.path_params["key"], p)),
    ]  # fmt: skip


def _trace_pages(reader: Reader, traces: TraceService) -> list[tuple[str, str, PageBuild]]:
    # "/traces/edge" before "/traces/{trace_id}", which would otherwise take it as an id.
    return [
        ("/traces", "traces.html", lambda r, _p: traceviews.runtime_graph(reader, traces, _query(r))),
        ("/traces/edge", "trace_edge.html", lambda r, _p: traceviews.edge_page(traces, _query(r))),
        ("/traces/{trace_id}", "trace.html",
         lambda r, _p: traceviews.trace_page(reader, traces, r.path_params["trace_id"])),
    ]  # fmt: skip


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _graph(reader: Reader) -> dict[str, Any]:
    return {"graph": graph_view(read_graph(reader), title="Service dependency graph")}


def _constant(data: dict[str, Any]) -> PageBuild:
    return lambda _request, _principal: data


def _bound(build: Build, reader: Reader) -> PageBuild:
    return lambda request, _principal: build(reader, **request.path_params)
