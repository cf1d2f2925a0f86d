"""Simulated customers of the demo shop, driven through the real SDK.

Each customer has habits (how fast they check out, how much and how often they buy, how error-prone
the packing of their orders is) drawn once from a seeded generator. The shop then lives two
periods: before the experiments (the events CUPED uses as covariates) and after each customer is
assigned by evaluating the flags with ``orgloop.sdk.Client`` (which records the exposures). In the
second period the treatment variants carry the true effects in ``EFFECTS``, so the analysis can be
checked against the truth.
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
) -> Traffic:
    """Both periods: events, flag evaluations (exposures), events; flushed. With a ``visitor``,
    the first ``online`` customers live the second period through the shop's services."""
    started = time.monotonic()
    online = min(online, customers) if visitor is not None else 0
    rng = np.random.default_rng(seed)
    shop = Customers.draw(customers, rng)
    before = period(shop, rng, None)
    _send(client, before)
    time.sleep(0.01)  # exposures come strictly after the covariate period (ms timestamps)
    offline = np.zeros(online, dtype=bool)
    treated = {
        key: np.concatenate([offline, _assign(client, key, shop.ids[online:])])
        for key in experiments
    }
    client.flush()
    time.sleep(0.01)
    after = period(shop, rng, treated, online)
    if visitor is not None and after.visits:
        for i, seen in enumerate(visitor(after.visits)):
            for key in experiments:
                treated[key][i] = seen.get(key) == "treatment"
    _send(client, after)
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


def _assign(client: Client, flag: str, ids: list[str]) -> np.ndarray:
    """Each customer's variant, as the shop's services see it: one local evaluation each."""
    return np.array([client.is_on(flag, {"id": unit}) for unit in ids], dtype=bool)


def _send(client: Client, events: Period) -> None:
    for event, unit, value in events.events:
        client.track(event, unit, value=value)
    client.flush()
