"""Simulated customers of the demo shop: their habits, their two periods, their visits.

Each customer has habits (how fast they check out, how much and how often they buy, how error-prone
the packing of their orders is) drawn once from a seeded generator. The shop then lives two
periods: before the experiments (the shop's history, the events CUPED uses as covariates, sent
through ``orgloop.sdk.Client`` directly) and the experiment period, in which each customer visits
the storefront over HTTP (``visits``): the shop's services evaluate the flags with the SDK (which
records the exposures), apply the treatment's true effect (``EFFECTS``) and track the events, so
the analysis can be checked against the truth. Customers beyond ``online`` (a knob for shorter
runs) live the experiment period through the SDK here instead, from the same flags.

Time is compressed: each customer visits at a moment of the last ``days`` (simulated, ending
now) and shopped on an earlier day before. Every event and exposure is stamped with its simulated
moment: here by a ``SimulatedClock`` given to ``Client``; in the services by the moment each visit
carries (the W3C baggage entry ``SIMULATED_TIME``, which OpenTelemetry propagates along every call
the visit makes), read by the clock of each service's ``Client``. So the analysis sees the
experiments run for days. The spans keep the real time: the service graph is today's traffic.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from orgloop.sdk import Client

SIMULATED_TIME = "demo.simulated-time"
"""The baggage entry carrying a visit's simulated moment (epoch seconds) to every service."""

EFFECTS: dict[str, float] = {
    "one-page-checkout": -0.28,  # checkout seconds
    "recommendations-v2": 0.15,  # spend per customer
    "guided-packing": -0.18,  # wrongly packed items per customer
}
"""The true relative effect of each experiment's treatment on its primary metric."""


class SimulatedClock:
    """Epoch seconds for the SDK: the simulated moment set last, or the real time when none is."""

    def __init__(self) -> None:
        self.at: float | None = None

    def __call__(self) -> float:
        return time.time() if self.at is None else self.at


@dataclass(frozen=True)
class Timeline:
    """Per customer (indexed like ``Customers.ids``): epoch seconds of arrival (exposure), of
    the earlier shopping (the covariate period) and of the shopping after arriving (for the
    first ``online`` customers, who shop in the visit they arrive with: the arrival)."""

    arrival: np.ndarray
    before: np.ndarray
    after: np.ndarray

    @classmethod
    def draw(
        cls, n: int, online: int, days: float, end: float, rng: np.random.Generator
    ) -> Timeline:
        day = 86_400.0
        arrival = end - rng.uniform(0.0, days * day, n)  # spread evenly over the days
        before = arrival - rng.uniform(0.5 * day, 6 * day, n)  # within CUPED's 14-day look back
        after = arrival + np.minimum(
            rng.uniform(60.0, 0.25 * day, n), np.maximum(end - arrival, 1.0)
        )
        after[:online] = arrival[:online]
        return cls(arrival, before, np.minimum(after, end))


@dataclass(frozen=True)
class Customers:
    """Habits per customer; every array is indexed like ``ids``."""

    ids: list[str]
    seconds: np.ndarray  # typical checkout time
    orders: np.ndarray  # expected purchases per period
    basket: np.ndarray  # typical order value
    mistakes: np.ndarray  # expected wrongly packed items per period

    @classmethod
    def draw(cls, n: int, rng: np.random.Generator) -> Customers:
        return cls(
            ids=[f"customer-{i:05d}" for i in range(n)],
            seconds=rng.lognormal(np.log(95), 0.35, n),
            orders=rng.gamma(4.0, 3.0 / 4.0, n),
            basket=rng.lognormal(np.log(35), 0.5, n),
            mistakes=rng.gamma(3.0, 1.5 / 3.0, n),
        )


@dataclass(frozen=True)
class Visit:
    """One customer's period as the storefront receives it, before any experiment's effect."""

    customer: str
    at: float  # the simulated moment (epoch seconds), sent as baggage, not in the body
    seconds: float
    amounts: list[float]
    mistakes: float  # expected wrongly packed items
    failures: int  # payment attempts that failed
    returned: bool
    late: bool  # the delivery

    def body(self) -> dict[str, Any]:
        """What ``POST /v1/visits`` receives."""
        fields = asdict(self)
        del fields["at"]
        return fields


@dataclass(frozen=True)
class Period:
    """What every customer did in one period, as events ``(event, unit, value)``; the first
    customers' experiment events are left to the services, as ``visits``."""

    events: list[tuple[str, str, float | None]]
    visits: list[Visit]


def period(
    customers: Customers,
    rng: np.random.Generator,
    treated: dict[str, np.ndarray] | None,
    online: int = 0,
    at: np.ndarray | None = None,
) -> Period:
    """One period of shopping; ``treated`` (per experiment) applies the true effects. The first
    ``online`` customers visit the shop's services instead (at their moment in ``at``), which
    apply the effects and track the events themselves: none of theirs is listed here."""
    n = len(customers.ids)
    offline = np.arange(n) >= online

    def effect(key: str) -> np.ndarray:
        if treated is None:
            return np.ones(n)
        return np.where(treated[key], 1.0 + EFFECTS[key], 1.0)

    events: list[tuple[str, str, float | None]] = []
    seconds = customers.seconds * rng.lognormal(0, 0.3, n)
    checkout = seconds * effect("one-page-checkout")
    events += _values(
        "checkout_completed", customers.ids, np.flatnonzero(offline), checkout[offline]
    )
    failures = rng.poisson(0.15, n)
    events += _counts("payment_failed", customers.ids, np.where(offline, failures, 0))
    purchases = rng.poisson(customers.orders)
    buyer = np.repeat(np.arange(n), purchases)
    amounts = np.round(customers.basket[buyer] * rng.lognormal(0, 0.3, buyer.size), 2)
    spent = amounts * effect("recommendations-v2")[buyer]
    events += _values("purchase", customers.ids, buyer[offline[buyer]], spent[offline[buyer]])
    returned = rng.random(n) < 0.08
    events += _counts("order_returned", customers.ids, (returned & offline).astype(int))
    rates = customers.mistakes * effect("guided-packing")
    if treated is None:
        mistakes = rng.poisson(rates)
    else:  # as the orders service draws them: the same whichever way a customer went
        mistakes = np.array(
            [
                packing_mistakes(unit, rate) if off else 0
                for unit, rate, off in zip(customers.ids, rates.tolist(), offline, strict=True)
            ]
        )
    events += _counts("packing_mistake", customers.ids, np.where(offline, mistakes, 0))
    late = rng.random(n) < 0.06
    events += _counts("delivery_late", customers.ids, (late & offline).astype(int))
    per_customer = np.split(amounts, np.cumsum(purchases)[:-1])
    moments = np.zeros(n) if at is None else at
    visits = [
        Visit(
            customer=customers.ids[i],
            at=float(moments[i]),
            seconds=round(float(seconds[i]), 2),
            amounts=per_customer[i].tolist(),
            mistakes=float(customers.mistakes[i]),
            failures=int(failures[i]),
            returned=bool(returned[i]),
            late=bool(late[i]),
        )
        for i in range(min(online, n))
    ]
    return Period(events, visits)


def packing_mistakes(customer: str, rate: float) -> int:
    """The wrongly packed items of a customer's orders in the experiment period, at ``rate``.

    Drawn from a generator seeded by the customer: the same count whether the orders service or
    the SDK path draws it, in whatever order the visits arrive, so a run gives the same analysis
    whatever ``online`` is.
    """
    return int(np.random.default_rng(zlib.crc32(customer.encode())).poisson(rate))


def _values(
    event: str, ids: list[str], who: np.ndarray, values: np.ndarray
) -> Iterator[tuple[str, str, float | None]]:
    for i, value in zip(who.tolist(), np.round(values, 2).tolist(), strict=True):
        yield event, ids[i], value


def _counts(event: str, ids: list[str], counts: np.ndarray) -> Iterator[tuple[str, str, None]]:
    for i in np.repeat(np.arange(len(ids)), counts).tolist():
        yield event, ids[i], None


Visitor = Callable[[list[Visit], float], list[dict[str, str]]]
"""Sends visits (in the order of their moments) through the shop's services, given the simulated
moment the experiments started at; each visit's variants (experiment -> variant)."""


@dataclass(frozen=True)
class Traffic:
    customers: int
    exposures: dict[str, dict[str, int]]  # experiment -> variant -> customers
    events: int  # the shop's history, and the experiment period of the customers not online
    visits: int  # customers whose experiment period went through the shop's services
    seconds: float


def run(
    client: Client,
    *,
    experiments: list[str],
    customers: int,
    seed: int,
    visitor: Visitor | None = None,
    online: int = 0,
    clock: SimulatedClock | None = None,
    days: float = 7.0,
) -> Traffic:
    """Both periods: events, flag evaluations (exposures), events; flushed. With a ``visitor``,
    the first ``online`` customers live the second period through the shop's services. With
    ``clock`` (the one ``client`` was made with), spread over the last ``days``."""
    started = time.monotonic()
    online = min(online, customers) if visitor is not None else 0
    rng = np.random.default_rng(seed)
    shop = Customers.draw(customers, rng)
    when = Timeline.draw(customers, online, days, time.time(), rng)
    clock = clock or SimulatedClock()
    before = period(shop, rng, None)
    _send(client, before, clock, dict(zip(shop.ids, when.before.tolist(), strict=True)))
    offline = np.zeros(online, dtype=bool)
    arrivals = when.arrival[online:].tolist()
    treated = {
        key: np.concatenate([offline, _assign(client, clock, key, shop.ids[online:], arrivals)])
        for key in experiments
    }
    client.flush()
    after = period(shop, rng, treated, online, when.after)
    if visitor is not None and after.visits:
        order = np.argsort(when.after[:online], kind="stable").tolist()  # day after day
        started_at = float(when.arrival.min())
        seen = visitor([after.visits[i] for i in order], started_at)
        for i, variants in zip(order, seen, strict=True):
            for key in experiments:
                treated[key][i] = variants.get(key) == "treatment"
    _send(client, after, clock, dict(zip(shop.ids, when.after.tolist(), strict=True)))
    exposures = {
        key: {"control": int((~on).sum()), "treatment": int(on.sum())}
        for key, on in treated.items()
    }
    return Traffic(
        customers=customers,
        exposures=exposures,
        events=len(before.events) + len(after.events),
        visits=len(after.visits),
        seconds=time.monotonic() - started,
    )


def _assign(
    client: Client, clock: SimulatedClock, flag: str, ids: list[str], at: list[float]
) -> np.ndarray:
    """Each customer's variant, as the shop's services see it: one local evaluation each, at
    the customer's arrival."""
    seen = np.zeros(len(ids), dtype=bool)
    for i, (unit, moment) in enumerate(zip(ids, at, strict=True)):
        clock.at = moment
        seen[i] = client.is_on(flag, {"id": unit})
    clock.at = None
    return seen


def _send(client: Client, events: Period, clock: SimulatedClock, at: dict[str, float]) -> None:
    for event, unit, value in events.events:
        clock.at = at[unit]
        client.track(event, unit, value=value)
    clock.at = None
    client.flush()
