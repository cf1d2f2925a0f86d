"""Analysis on a schedule: every running experiment is analysed and recorded periodically,
so alerts (SRM, guardrail breaches) fire without anyone asking."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.errors import OrgloopError

if TYPE_CHECKING:
    from orgloop.experiments.service import ExperimentService

log = logging.getLogger(__name__)


class AnalysisSchedule:
    """Runs ``run_once`` every ``interval`` seconds in a daemon thread until ``stop``."""

    def __init__(self, experiments: ExperimentService, *, interval: float) -> None:
        self._experiments = experiments
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="orgloop-analysis", daemon=True)

    def run_once(self) -> list[str]:
        """Analyse every running experiment; returns the keys analysed. One failure is logged
        and does not stop the others."""
        analysed: list[str] = []
        offset = 0
        while True:
            page = self._experiments.list_experiments(status="running", limit=100, offset=offset)
            for experiment in page.items:
                key = experiment.key
                try:
                    self._experiments.analyse(key, actor=SYSTEM, record=True)
                    analysed.append(key)
                except OrgloopError as exc:
                    log.warning("scheduled analysis of %s failed: %s", key, exc.message)
                except Exception:
                    log.exception("scheduled analysis of %s failed", key)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return analysed

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            self.run_once()
