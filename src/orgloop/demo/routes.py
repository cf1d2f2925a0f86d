"""What each of the shop's services does: its routes, the calls it makes, the flags it evaluates.

One table, ``ROUTES``: service name -> routes ``(method, path, handler)``. A handler gets a
``Context`` (the service's flag client, an instrumented HTTP client to its peers, a random
generator) and the request's path parameters and JSON body. Three services carry an experiment
and its true effect (``traffic.EFFECTS``): checkout (one-page-checkout, applied to the seconds a
customer takes), recommendations (recommendations-v2, the spend it adds) and orders
(guided-packing, the packing mistakes). The longest synchronous chain is
storefront -> checkout -> orders -> inventory -> shipping -> identity. Each service tracks the
visit's events it knows of (purchases, checkout time, payment failures, packing mistakes, returns,
late deliveries); their moment is the visit's simulated one (see ``service.simulated_now``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from orgloop.demo.traffic import EFFECTS, packing_mistakes
from orgloop.sdk import Client

Body = dict[str, Any]

CACHED_SECONDS = 10.0
"""How long recommendations and cart reuse the product catalog's list before asking again."""


@dataclass
class Context:
    """What a handler may use: flags and events, its peers over HTTP, a little memory."""

    flags: Client
    peers: dict[str, httpx.AsyncClient]  # service name -> a client with its base URL
    carts: dict[str, list[float]] = field(default_factory=dict)
    cached: dict[tuple[str, str], tuple[float, Body]] = field(default_factory=dict)

    async def call(self, service: str, method: str, path: str, body: Body | None = None) -> Body:
        response = await self.peers[service].request(method, path, json=body)
        response.raise_for_status()
        result: Body = response.json()
        return result

    async def get_cached(self, service: str, path: str, seconds: float = CACHED_SECONDS) -> Body:
        """``GET path`` from ``service``, its answer reused for ``seconds`` (what rarely changes)."""
        now = time.monotonic()
        hit = self.cached.get((service, path))
        if hit is None or now - hit[0] > seconds:
            hit = (now, await self.call(service, "GET", path))
            self.cached[(service, path)] = hit
        return hit[1]

    def variant(self, experiment: str, customer: str) -> str:
        return "treatment" if self.flags.is_on(experiment, {"id": customer}) else "control"


Handler = Callable[[Context, dict[str, str], Body], Awaitable[Body]]


def _effect(experiment: str, variant: str) -> float:
    return 1.0 + EFFECTS[experiment] if variant == "treatment" else 1.0


async def visit(ctx: Context, path: dict[str, str], body: Body) -> Body:
    """storefront: browse (recommendations), fill the cart, check out, record the purchases."""
    customer = body["customer"]
    shown = await ctx.call("recommendations", "GET", f"/v1/recommendations/{customer}")
    await ctx.call("cart", "POST", f"/v1/carts/{customer}/items", {"amounts": body["amounts"]})
    done = await ctx.call(
        "checkout",
        "POST",
        "/v1/checkouts",
        {
            key: body[key]
            for key in ("customer", "seconds", "mistakes", "failures", "returned", "late")
        },
    )
    for amount in done["amounts"]:
        ctx.flags.track("purchase", customer, value=round(amount * shown["boost"], 2))
    return {
        "variants": {
            "recommendations-v2": shown["variant"],
            "one-page-checkout": done["variant"],
            "guided-packing": done["packing"],
        }
    }


async def recommend(ctx: Context, path: dict[str, str], body: Body) -> Body:
    """recommendations: what this customer may also like; v2 sells ~15% more."""
    customer = path["customer"]
    variant = ctx.variant("recommendations-v2", customer)
    await ctx.get_cached("product-catalog", "/v1/products")
    await ctx.call("orders", "GET", f"/v1/customers/{customer}/orders")  # past purchases
    return {"variant": variant, "boost": _effect("recommendations-v2", variant)}


async def products(ctx: Context, path: dict[str, str], body: Body) -> Body:
    return {"items": [{"sku": f"sku-{i}", "price": 10.0 + i} for i in range(5)]}


async def add_items(ctx: Context, path: dict[str, str], body: Body) -> Body:
    """cart: prices from the catalog (kept for a few seconds), stock from inventory."""
    await ctx.get_cached("product-catalog", "/v1/products")
    await ctx.call("inventory", "GET", "/v1/stock/sku-1")
    ctx.carts[path["customer"]] = list(body["amounts"])
    return {"items": len(body["amounts"])}


async def read_cart(ctx: Context, path: dict[str, str], body: Body) -> Body:
    return {"amounts": ctx.carts.pop(path["customer"], [])}


async def check_out(ctx: Context, path: dict[str, str], body: Body) -> Body:
    """checkout: the one-page checkout takes ~28% less time (and one call less)."""
    customer = body["customer"]
    variant = ctx.variant("one-page-checkout", customer)
    cart = await ctx.call("cart", "GET", f"/v1/carts/{customer}")
    if variant == "control":  # the four-step checkout asks for the account on a page of its own
        await ctx.call("identity", "GET", f"/v1/customers/{customer}")
    await ctx.call(
        "payments", "POST", "/v1/payments", {"customer": customer, "failures": body["failures"]}
    )
    order = await ctx.call(
        "orders",
        "POST",
        "/v1/orders",
        {key: body[key] for key in ("customer", "mistakes", "returned", "late")},
    )
    seconds = body["seconds"] * _effect("one-page-checkout", variant)
    ctx.flags.track("checkout_completed", customer, value=round(seconds, 2))
    return {"variant": variant, "packing": order["variant"], "amounts": cart["amounts"]}


async def pay(ctx: Context, path: dict[str, str], body: Body) -> Body:
    """payments: the attempts that failed before the one that went through."""
    for _ in range(int(body["failures"])):
        ctx.flags.track("payment_failed", body["customer"])
    return {"status": "authorised"}


async def place_order(ctx: Context, path: dict[str, str], body: Body) -> Body:
    """orders: guided packing makes ~18% fewer packing mistakes."""
    customer = body["customer"]
    variant = ctx.variant("guided-packing", customer)
    reservation = {"customer": customer, "late": body["late"]}  # shipping's, passed on
    await ctx.call("inventory", "POST", "/v1/reservations", reservation)
    rate = float(body["mistakes"]) * _effect("guided-packing", variant)
    for _ in range(packing_mistakes(customer, rate)):
        ctx.flags.track("packing_mistake", customer)
    if body["returned"]:
        ctx.flags.track("order_returned", customer)
    return {"variant": variant}


async def orders_of(ctx: Context, path: dict[str, str], body: Body) -> Body:
    return {"items": []}


async def stock(ctx: Context, path: dict[str, str], body: Body) -> Body:
    return {"sku": path["sku"], "available": 12}


async def reserve(ctx: Context, path: dict[str, str], body: Body) -> Body:
    """inventory: holds the stock, then books the carrier from that warehouse."""
    await ctx.call("shipping", "POST", "/v1/shipments", body)
    return {"reserved": True}


async def ship(ctx: Context, path: dict[str, str], body: Body) -> Body:
    """shipping: books the carrier to the customer's address; some deliveries arrive late."""
    await ctx.call("identity", "GET", f"/v1/customers/{body['customer']}/address")
    if body["late"]:
        ctx.flags.track("delivery_late", body["customer"])
    return {"carrier": "acme-post"}


async def customer(ctx: Context, path: dict[str, str], body: Body) -> Body:
    return {"id": path["customer"]}


ROUTES: dict[str, list[tuple[str, str, Handler]]] = {
    "storefront": [("POST", "/v1/visits", visit)],
    "recommendations": [("GET", "/v1/recommendations/{customer}", recommend)],
    "product-catalog": [("GET", "/v1/products", products)],
    "cart": [
        ("POST", "/v1/carts/{customer}/items", add_items),
        ("GET", "/v1/carts/{customer}", read_cart),
    ],
    "checkout": [("POST", "/v1/checkouts", check_out)],
    "payments": [("POST", "/v1/payments", pay)],
    "orders": [
        ("POST", "/v1/orders", place_order),
        ("GET", "/v1/customers/{customer}/orders", orders_of),
    ],
    "inventory": [
        ("GET", "/v1/stock/{sku}", stock),
        ("POST", "/v1/reservations", reserve),
    ],
    "shipping": [("POST", "/v1/shipments", ship)],
    "identity": [
        ("GET", "/v1/customers/{customer}", customer),
        ("GET", "/v1/customers/{customer}/address", customer),
    ],
}
"""Every service the traffic touches, with its routes."""

VERSIONS: dict[str, str] = {
    "storefront": "5.2.0",
    "recommendations": "2.0.0",
    "product-catalog": "1.4.0",
    "cart": "2.3.0",
    "checkout": "3.1.0",
    "payments": "1.9.0",
    "orders": "1.0.0",
    "inventory": "1.2.0",
    "shipping": "1.1.0",
    "identity": "4.0.0",
}
"""The version of each service that runs (and is recorded as deployed to production)."""
