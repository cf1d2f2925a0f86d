"""Customers visiting the storefront over HTTP, many at once, with a progress bar."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orgloop.demo.traffic import Visit, Visitor

CONCURRENCY = 24
"""Customers in the shop at the same time (enough to keep every service process busy)."""


def storefront(url: str, *, concurrency: int = CONCURRENCY) -> Visitor:
    """A visitor sending each visit to ``POST {url}/v1/visits``."""

    def visit(visits: list[Visit]) -> list[dict[str, str]]:
        return asyncio.run(_visit_all(url, visits, concurrency))

    return visit


async def _visit_all(url: str, visits: list[Visit], concurrency: int) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = [{} for _ in visits]
    failed: list[int] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(visits)):
        queue.put_nowait(i)
    columns = (
        TextColumn("customers through the storefront"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    limits = httpx.Limits(max_connections=concurrency, keepalive_expiry=30)
    transport = httpx.AsyncHTTPTransport(limits=limits, retries=3)
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("visits", total=len(visits))
        async with httpx.AsyncClient(base_url=url, timeout=120, transport=transport) as http:

            async def worker() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    try:
                        response = await http.post("/v1/visits", json=asdict(visits[i]))
                        response.raise_for_status()
                        seen[i] = response.json()["variants"]
                    except httpx.HTTPError:  # counted and shown; the services' logs say why
                        failed.append(i)
                    progress.advance(task)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
    if failed:
        print(f"{len(failed)} of {len(visits)} visits failed (see the services' logs)")
    return seen
