"""Customers visiting the storefront over HTTP, many at once, day after simulated day.

Each visit is one ``POST /v1/visits`` with the customer's simulated moment in the W3C ``baggage``
header (``traffic.SIMULATED_TIME``): the storefront's OpenTelemetry middleware takes it into the
request's context and its instrumented HTTP client passes it on with every call, so each service's
SDK client stamps the visit's exposures and events at that moment. A progress bar shows the
customers and the simulated day they are on.
"""

from __future__ import annotations

import asyncio

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orgloop.demo.server import skip_sniffio
from orgloop.demo.traffic import SIMULATED_TIME, Visit, Visitor

CONCURRENCY = 12
"""Customers in the shop at the same time: enough to keep every service process busy on two
cores, also when other work shares them; more only lengthens the queues (and httpcore's walk over
the connections of each pool, on every request)."""

DAY = 86_400.0


def storefront(url: str, *, concurrency: int = CONCURRENCY) -> Visitor:
    """A visitor sending each visit to ``POST {url}/v1/visits``."""

    def visit(visits: list[Visit], started_at: float) -> list[dict[str, str]]:
        skip_sniffio()
        return asyncio.run(_visit_all(url, visits, started_at, concurrency))

    return visit


async def _visit_all(
    url: str, visits: list[Visit], started_at: float, concurrency: int
) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = [{} for _ in visits]
    failed: list[int] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(visits)):
        queue.put_nowait(i)
    columns = (
        TextColumn("customers through the storefront"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("simulated day {task.fields[day]}"),
        TimeElapsedColumn(),
    )
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=30
    )
    transport = httpx.AsyncHTTPTransport(limits=limits, retries=3)
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("visits", total=len(visits), day=1)
        async with httpx.AsyncClient(base_url=url, timeout=120, transport=transport) as http:

            async def worker() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    at = visits[i].at
                    headers = {"baggage": f"{SIMULATED_TIME}={at:.3f}"}
                    try:
                        response = await http.post(
                            "/v1/visits", json=visits[i].body(), headers=headers
                        )
                        response.raise_for_status()
                        seen[i] = response.json()["variants"]
                    except httpx.HTTPError:  # counted and shown; the services' logs say why
                        failed.append(i)
                    progress.update(task, advance=1, day=1 + int((at - started_at) // DAY))

            await asyncio.gather(*(worker() for _ in range(concurrency)))
    if failed:
        print(f"{len(failed)} of {len(visits)} visits failed (see the services' logs)")
    return seen
