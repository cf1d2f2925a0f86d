"""A visit's simulated moment reaches each service's SDK clock through the request's baggage."""

from __future__ import annotations

import time

from opentelemetry import baggage, context
from opentelemetry.baggage.propagation import W3CBaggagePropagator

from orgloop.demo.service import simulated_now
from orgloop.demo.traffic import SIMULATED_TIME, Visit

DAYS_AGO = time.time() - 3 * 86_400


def test_a_request_with_the_baggage_is_stamped_at_its_simulated_moment() -> None:
    # What the storefront's middleware extracts from the header the traffic sends.
    carrier = {"baggage": f"{SIMULATED_TIME}={DAYS_AGO:.3f}"}
    token = context.attach(W3CBaggagePropagator().extract(carrier))
    try:
        assert abs(simulated_now() - DAYS_AGO) < 0.001
    finally:
        context.detach(token)


def test_a_request_without_it_or_with_a_bad_one_is_stamped_now() -> None:
    assert abs(simulated_now() - time.time()) < 5
    for bad in ["yesterday", "nan", "inf"]:
        token = context.attach(baggage.set_baggage(SIMULATED_TIME, bad))
        try:
            assert abs(simulated_now() - time.time()) < 5, bad
        finally:
            context.detach(token)


def test_the_moment_travels_as_baggage_not_in_the_visit_body() -> None:
    visit = Visit("customer-00001", DAYS_AGO, 90.0, [12.5], 1.5, 1, False, True)
    body = visit.body()
    assert "at" not in body
    assert body["customer"] == "customer-00001"
    assert body["failures"] == 1
    assert body["late"] is True
