"""The experiments slice's public interface: plan, start, stop, analyse and decide experiments.

Analysis reads the event store through ``connect`` (a function returning an Ibis backend, e.g.
over the embedded DuckDB store); the numbers are computed there by ``queries.analyse`` and read by
``analysis.analyse_stats``.  A guardrail breach or a sample ratio mismatch found by a recorded
analysis is stored as an alert and published as ``ExperimentAlert``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from orgloop.catalog.service import CatalogService
from orgloop.experiments import spanmetrics, store
from orgloop.experiments.analysis import Role, Settings, analyse_stats
from orgloop.experiments.events import ExperimentAlert, ExperimentDecided
from orgloop.experiments.lifecycle import (
    alerts_of,
    experiment_of,
    learning_of,
    matches,
    metric_specs,
    planned_sample_size,
    velocity_of,
)
from orgloop.experiments.metrics import parse_metrics
from orgloop.experiments.models import (
    Alert,
    Decision,
    DecisionIn,
    Experiment,
    ExperimentCreate,
    ExperimentPage,
    LearningPage,
    Velocity,
)
from orgloop.experiments.queries import analyse, first_exposure
from orgloop.kernel.audit import AuditLog
from orgloop.kernel.auth import Principal
from orgloop.kernel.bus import EventBus
from orgloop.kernel.clock import Clock
from orgloop.kernel.db import Database
from orgloop.kernel.errors import Conflict, InvalidInput, NotFound, Unavailable

Connect = Callable[[], Any]


def event_store_connector(event_store: Any) -> Connect:
    """Analysis connections over the embedded store (``EventStore``): one cursor per analysis."""
    import ibis

    return lambda: ibis.duckdb.from_connection(event_store.cursor())


class ExperimentService:
    def __init__(
        self,
        *,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        bus: EventBus,
        catalog: CatalogService,
        connect: Connect | None = None,
        spans: spanmetrics.SpanSource | None = None,
    ) -> None:
        self._spans = spans  # per-variant span sums for span metrics (traces, wired in app.py)
        self._db = db
        self._audit = audit
        self._clock = clock
        self._bus = bus
        self._catalog = catalog
        self._connect = connect

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: str) -> Experiment:
        with self._db.reading() as session:
            return experiment_of(self._row(session, key))

    def list_experiments(
        self,
        *,
        team: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ExperimentPage:
        owners = [self._team(team)] if team else None
        with self._db.reading() as session:
            rows, total = store.page(
                session, owners=owners, status=status, limit=limit, offset=offset
            )
            items = [experiment_of(r) for r in rows]
        return ExperimentPage(items=items, total=total, limit=limit, offset=offset)

    def require_exposure_writer(self, actor: Principal, experiments: set[str]) -> None:
        """A team member sends exposures only for its own team's experiments (403, naming the
        first other one); SDK keys (their environment's) and admins send them for any."""
        if actor.role != "member" or not experiments:
            return
        with self._db.reading() as session:
            owners = store.owners(session, sorted(experiments))
        for key in sorted(experiments):
            actor.require_write(owner=owners.get(key), what=f"the exposures of experiment {key}")

    def alerts(self, key: str) -> list[Alert]:
        with self._db.reading() as session:
            self._row(session, key)
            return [Alert.model_validate(a) for a in store.alerts(session, key)]

    def learnings(self, *, team: str | None = None, q: str | None = None) -> LearningPage:
        """Every experiment's hypothesis, result and decision; ``q`` searches all their text."""
        owners = [self._team(team)] if team else None
        with self._db.reading() as session:
            items = [learning_of(r) for r in store.all_of(session, owners=owners)]
        found = [i for i in reversed(items) if matches(i, q)]
        return LearningPage(items=found, total=len(found))

    def velocity(self, *, team: str | None = None) -> Velocity:
        owner = self._team(team) if team else None
        with self._db.reading() as session:
            rows = store.all_of(session, owners=[owner] if owner else None)
            return velocity_of(rows, team=owner)

    # -- changing ----------------------------------------------------------------------------

    def create(self, body: ExperimentCreate, *, actor: Principal) -> Experiment:
        owner = self._team(body.owner)
        actor.require_write(owner=owner, what=f"experiment {body.key}")
        metrics = metric_specs(body)
        size = planned_sample_size(body.plan, alpha=body.alpha)
        spec = body.model_dump(mode="json", exclude={"key", "hypothesis", "owner", "flag_key"})
        spec |= {"metrics": metrics, "control": body.control or body.variations[0].key}
        with self._db.transaction() as session:
            if store.get(session, body.key) is not None:
                raise Conflict(f"experiment {body.key!r} already exists", details={"key": body.key})
            row = store.create(
                session,
                key=body.key,
                hypothesis=body.hypothesis,
                owner=owner,
                flag_key=body.flag_key,
                status="draft",
                spec=spec,
                planned_sample_size=size,
                created_at=self._clock.now(),
            )
            created = experiment_of(row)
            self._record(session, actor, "experiment.create", body.key, None, created)
        return created

    def start(self, key: str, *, actor: Principal) -> Experiment:
        return self._move(key, actor=actor, allowed=("draft",), to="running", stamp="started_at")

    def stop(self, key: str, *, actor: Principal) -> Experiment:
        return self._move(key, actor=actor, allowed=("running",), to="stopped", stamp="stopped_at")

    def analyse(
        self,
        key: str,
        *,
        actor: Principal,
        record: bool = False,
        until: datetime | None = None,
    ) -> dict[str, Any]:
        """Analyse now; with ``record`` keep the snapshot and raise alerts for what it finds.

        ``until`` analyses the data as it stood then (exposures and events before it), e.g. for
        a cumulative-lift chart; such a look back is never recorded. Recording needs write access
        to the experiment: its alerts can kill the experiment's flag.
        """
        experiment = self.get(key)
        if record:
            actor.require_write(owner=experiment.owner, what=f"experiment {key}")
        if experiment.status == "draft":
            raise Conflict(f"experiment {key!r} has not started; nothing to analyse yet")
        if until is not None and record:
            raise InvalidInput.at("until", "a look back at earlier data is not recorded")
        if until is not None and until.tzinfo is None:
            raise InvalidInput.at("until", "give a time-zone offset, e.g. 2026-01-31T00:00:00Z")
        report = self._report(experiment, until=until)
        if not record:
            return report
        with self._db.transaction() as session:
            row = self._row(session, key, for_update=True)  # concurrent records raise one alert
            row.last_analysis = report
            raised = self._alerts(session, experiment, report, requested_by=actor)
        for alert in raised:
            self._bus.publish(alert)
        return report

    def first_exposure(self, key: str) -> datetime | None:
        """When the experiment's earliest exposure happened (None without one, or without an
        event store). Exposures carry their own times, so it can predate ``started_at``."""
        experiment = self.get(key)
        if self._connect is None:
            return None
        con = self._connect()
        try:
            return first_exposure(con, experiment=key, environment=experiment.environment)
        finally:
            con.disconnect()

    def decide(self, key: str, body: DecisionIn, *, actor: Principal) -> Decision:
        """Record ship, kill or iterate, with the analysis it was made on as its evidence."""
        experiment = self.get(key)
        actor.require_write(owner=experiment.owner, what=f"experiment {key}")
        _require_decidable(key, experiment.status)
        evidence = self.analyse(key, actor=actor, record=True) if self._connect else None
        now = self._clock.now()
        with self._db.transaction() as session:
            row = self._row(session, key, for_update=True)
            # Checked again where no other writer can change it: of concurrent decisions, one
            # decides and the others find it decided (409).
            _require_decidable(key, row.status)
            before = experiment_of(row)
            row.status, row.decision, row.decision_reason = "decided", body.decision, body.reason
            row.decided_at, row.stopped_at = now, row.stopped_at or now
            row.decision_evidence = evidence or row.last_analysis or {}
            self._record(session, actor, "experiment.decide", key, before, experiment_of(row))
            decision = Decision(
                experiment=key,
                decision=body.decision,
                reason=body.reason,
                decided_at=now,
                evidence=row.decision_evidence,
            )
        self._bus.publish(
            ExperimentDecided(key, experiment.flag_key, experiment.owner, body.decision)
        )
        return decision

    # -- helpers -----------------------------------------------------------------------------

    def _team(self, team: str) -> str:
        return self._catalog.get_entity(team, default_kind="group").ref

    def _row(self, session: Any, key: str, *, for_update: bool = False) -> Any:
        row = store.get(session, key, for_update=for_update)
        if row is None:
            raise NotFound(f"no experiment {key!r}", details={"key": key})
        return row

    def _record(
        self,
        session: Any,
        actor: Principal,
        action: str,
        key: str,
        before: Experiment | None,
        after: Experiment,
    ) -> None:
        self._audit.record(
            session,
            actor=actor,
            action=action,
            kind="experiment",
            ref=key,
            before=_dump(before),
            after=_dump(after),
        )

    def _move(
        self, key: str, *, actor: Principal, allowed: tuple[str, ...], to: str, stamp: str
    ) -> Experiment:
        with self._db.transaction() as session:
            row = self._row(session, key, for_update=True)  # the state is checked under the lock
            actor.require_write(owner=row.owner, what=f"experiment {key}")
            if row.status not in allowed:
                raise Conflict(
                    f"experiment {key!r} is {row.status}; it must be {' or '.join(allowed)}",
                    details={"status": row.status},
                )
            before = experiment_of(row)
            row.status = to
            setattr(row, stamp, self._clock.now())
            after = experiment_of(row)
            self._record(session, actor, f"experiment.{to}", key, before, after)
        return after

    def _report(self, experiment: Experiment, *, until: datetime | None = None) -> dict[str, Any]:
        if self._connect is None:
            raise Unavailable("no event store is configured for analysis on this server")
        metrics = parse_metrics([m["definition"] for m in experiment.metrics])
        roles: dict[str, Role] = {m["definition"]["key"]: m["role"] for m in experiment.metrics}
        settings = Settings(
            control=experiment.control,
            alpha=experiment.alpha,
            method=experiment.method,
            correction=experiment.correction,
            cuped=True,  # per metric: the stored definitions carry the experiment's default
            weights={v.key: v.weight for v in experiment.variations},
            roles=roles,
        )
        stopped = experiment.stopped_at
        if stopped is not None and stopped.tzinfo is None:
            stopped = stopped.replace(tzinfo=UTC)  # SQLite hands back naive UTC timestamps
        if stopped is not None:
            until = stopped if until is None else min(until, stopped)
        con = self._connect()
        event_metrics = [m for m in metrics if not spanmetrics.is_span(m)]
        try:
            stats = analyse(
                con,
                experiment=experiment.key,
                metrics=event_metrics,
                until=until,
                environment=experiment.environment,
                unit_numbers=True,  # the embedded store numbers its units
            )
        finally:
            con.disconnect()
        end = until or self._clock.now()
        stats, requests = spanmetrics.with_span_stats(
            stats, metrics, self._spans, since=_started(experiment), until=end
        )
        compared = [spanmetrics.comparable(m) for m in metrics]
        report = spanmetrics.mark_rows(
            analyse_stats(stats, compared, settings).to_dict(), metrics, requests
        )
        report["computed_at"] = self._clock.now().isoformat()
        # How the per-unit values were computed: by each unit's number in the embedded store, or
        # by the expression every backend runs (a shared directory, rows not yet numbered).
        report["computed_by"] = "unit_numbers" if stats.by_unit_number else "expression"
        report["until"] = until.isoformat() if until is not None else None
        report["planned_sample_size"] = experiment.planned_sample_size
        return report

    def _alerts(
        self,
        session: Any,
        experiment: Experiment,
        report: dict[str, Any],
        *,
        requested_by: Principal,
    ) -> list[ExperimentAlert]:
        known = {(a["kind"], a["message"]) for a in store.alerts(session, experiment.key)}
        raised = []
        for kind, message, details in alerts_of(report):
            if (kind, message) in known:
                continue  # the same finding again: one alert is enough
            alert_id = store.add_alert(
                session,
                key=experiment.key,
                kind=kind,
                message=message,
                details=details,
                at=self._clock.now(),
            )
            raised.append(
                ExperimentAlert(
                    experiment.key,
                    experiment.flag_key,
                    experiment.owner,
                    kind,
                    message,
                    auto_kill_environments=tuple(experiment.auto_kill_environments),
                    alert_id=alert_id,
                    analysis_at=str(report.get("computed_at") or ""),
                    requested_by=requested_by.label,
                )
            )
        return raised


def _require_decidable(key: str, status: str) -> None:
    if status not in ("running", "stopped"):
        raise Conflict(
            f"experiment {key!r} is {status}; only a started one is decided",
            details={"status": status},
        )


def _dump(experiment: Experiment | None) -> dict[str, Any] | None:
    return None if experiment is None else experiment.model_dump(mode="json")


def _started(experiment: Experiment) -> datetime:
    """When the experiment started, in UTC (SQLite hands back naive UTC timestamps)."""
    started = experiment.started_at or experiment.created_at
    return started if started.tzinfo else started.replace(tzinfo=UTC)
