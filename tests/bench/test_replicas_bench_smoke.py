"""Smoke test of bench/replicas.py's parts that need no server: reading streams, percentiles."""

from __future__ import annotations

import asyncio

from bench import replicas


def test_the_stream_reader_finds_each_events_etag_in_a_chunked_response() -> None:
    body = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        b'2b\r\nretry: 3000\nevent: ruleset\ndata: {"etag": "\\"a1\\""}\n\n\r\n'
        b"f\r\n: heartbeat\n\n\r\n"
        b'24\r\nevent: ruleset\ndata: {"etag": "\\"b2\\""}\n\n\r\n'
    )

    async def read() -> list[str]:
        reader = asyncio.StreamReader()
        reader.feed_data(body)
        reader.feed_eof()
        return [await replicas._next_etag(reader), await replicas._next_etag(reader)]

    assert asyncio.run(read()) == ['"a1"', '"b2"']


def test_percentiles_are_ordered_and_in_milliseconds() -> None:
    figures = replicas._ms([i / 1000 for i in range(1, 101)])
    assert figures == {"n": 100, "p50_ms": 50.5, "p99_ms": 99.0, "max_ms": 100.0}
