"""The cumulative-lift chart covers the days exposures were recorded for, even before the start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from orgloop.app import build_services
from orgloop.kernel.auth import SYSTEM
from orgloop.kernel.clock import FixedClock
from orgloop.kernel.ids import SequentialIds
from orgloop.kernel.settings import Settings
from orgloop.web.session import COOKIE
from tests.web.builders import START, events, experiment_body, ingest
from tests.web.conftest import import_shop, web_app


def test_exposures_recorded_before_the_start_give_the_chart_its_days(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'orgloop.db'}")
    clock = FixedClock(START + timedelta(days=4, hours=12))
    services = build_services(settings, clock=clock, ids=SequentialIds())
    try:
        import_shop(services)
        admin = services.tokens.bootstrap_admin()
        assert admin is not None
        app = web_app(services)
        services.experiments.create(experiment_body("one-page-checkout"), actor=SYSTEM)
        services.experiments.start("one-page-checkout", actor=SYSTEM)  # started "now"
        # four days of exposures from START, sent afterwards with the times they happened
        ingest(services, app, events("one-page-checkout", units=800, lift=0.6))
        assert services.experiments.first_exposure("one-page-checkout") == START
        with TestClient(app) as browser:
            browser.post("/login", data={"token": admin.secret})
            assert browser.cookies.get(COOKIE) == admin.secret
            chart = browser.get("/experiments/one-page-checkout.json").json()["cumulative"]
        days = [p["at"] for p in chart["points"]]
        assert len(days) >= 4, days  # one point a day, not a single dot at the start
        assert days[0] == (START + timedelta(days=1)).date().isoformat()
        widths = [p["high"] - p["low"] for p in chart["points"]]
        assert widths[-1] < widths[0]  # the interval narrows as units come in
    finally:
        services.close()
