"""Simulated customers of the demo shop, driven through the real SDK.

Each customer has habits (how fast they check out, how much and how often they buy, how error-prone
the packing of their orders is) drawn once from a seeded generator. The shop then lives two
periods: before the experiments (the events CUPED uses as covariates) and after each customer is
assigned by evaluating the flags with ``orgloop.sdk.Client`` (which records the exposures). In the
second period the treatment variants carry the true effects in ``EFFECTS``, so the analysis can be
checked against the truth.

Time is compressed: each customer arrives at a moment of the last ``days`` (simulated, ending
now), shopped on an earlier day before, and shops in the hours after arriving; the SDK stamps each
event and exposure with that simulated time (a ``SimulatedClock`` given to ``Client``), so the
analysis sees the experiments run for days. The customers who visit the services over HTTP are
today's: the services stamp their own events with the real time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from orgloop.sdk import Client

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
    the earlier shopping (the covariate period) and of the shopping after arriving."""

    arrival: np.ndarray
    before: np.ndarray
    after: np.ndarray

    @classmethod
    def draw(
        cls, n: int, online: int, days: float, end: float, rng: np.random.Generator
    ) -> Timeline:
        day = 86_400.0
        # Arrivals spread evenly over the days; the services' customers come last (today).
        arrival = end - rng.uniform(0.0, days * day, n)
        arrival[:online] = end
        before = arrival - rng.uniform(0.5 * day, 6 * day, n)  # within CUPED's 14-day look back
        after = arrival + np.minimum(
            rng.uniform(60.0, 0.25 * day, n), np.maximum(end - arrival, 1.0)
        )
        after[:online] = end
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
            orders=rng.gamma(4.0, 1.5 / 4.0, n),
            basket=rng.lognormal(np.log(35), 0.5, n),
            mistakes=rng.gamma(3.0, 1.5 / 3.0, n),
        )


@dataclass(frozen=True)
class Visit:
    """One customer's period as the storefront receives it, before any experiment's effect."""

    customer: str
    seconds: float
    amounts: list[float]
    mistakes: float  # expected wrongly packed items


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
) -> Period:
    """One period of shopping; ``treated`` (per experiment) applies the true effects. The first
    ``online`` customers visit the shop's services instead, which apply the effects themselves:
    only their events that no experiment changes are listed here."""
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
    events += _counts("payment_failed", customers.ids, rng.poisson(0.15, n))
    purchases = rng.poisson(customers.orders)
    buyer = np.repeat(np.arange(n), purchases)
    amounts = customers.basket[buyer] * rng.lognormal(0, 0.3, buyer.size)
    spent = amounts * effect("recommendations-v2")[buyer]
    events += _values("purchase", customers.ids, buyer[offline[buyer]], spent[offline[buyer]])
    events += _counts("order_returned", customers.ids, (rng.random(n) < 0.08).astype(int))
    mistakes = rng.poisson(customers.mistakes * effect("guided-packing"))
    events += _counts("packing_mistake", customers.ids, np.where(offline, mistakes, 0))
    events += _counts("delivery_late", customers.ids, (rng.random(n) < 0.06).astype(int))
    per_customer = np.split(np.round(amounts, 2), np.cumsum(purchases)[:-1])
    visits = [
        Visit(
            customers.ids[i],
            round(float(seconds[i]), 2),
            per_customer[i].tolist(),
            float(customers.mistakes[i]),
        )
        for i in range(min(online, n))
    ]
    return Period(events, visits)


def _values(
    event: str, ids: list[str], who: np.ndarray, values: np.ndarray
) -> Iterator[tuple[str, str, float | None]]:
    for i, value in zip(who.tolist(), np.round(values, 2).tolist(), strict=True):
        yield event, ids[i], value


def _counts(event: str, ids: list[str], counts: np.ndarray) -> Iterator[tuple[str, str, None]]:
    for i in np.repeat(np.arange(len(ids)), counts).tolist():
        yield event, ids[i], None


Visitor = Callable[[list[Visit]], list[dict[str, str]]]
"""Sends visits through the shop's services; each visit's variants (experiment -> variant)."""


@dataclass(frozen=True)
class Traffic:
    customers: int
    exposures: dict[str, dict[str, int]]  # experiment -> variant -> customers
    events: int  # sent by this client (the services send the visits' own)
    visits: int  # customers who went through the shop's services
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
    after = period(shop, rng, treated, online)
    if visitor is not None and after.visits:
        for i, seen in enumerate(visitor(after.visits)):
            for key in experiments:
                treated[key][i] = seen.get(key) == "treatment"
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
