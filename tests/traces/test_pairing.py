"""Pairing client and server spans into edges, as the servicegraph connector does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.traces.columns import Edge, EdgeColumns, HalfColumns
from orgloop.traces.intake import IngestLimits, flatten
from orgloop.traces.pairing import Pairer, PairingConfig
from tests.traces.builders import CLIENT, CONSUMER, PRODUCER, SERVER, SpanSpec, call, export

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def halves(*specs: SpanSpec, config: PairingConfig | None = None) -> list[HalfColumns]:
    """One batch per half, so that tests can pair them in any order."""
    flat = flatten(export(*specs), now=NOW, limits=IngestLimits(), config=config)
    return flat.halves.split()


def collecting(edges: list[Edge]) -> Callable[[EdgeColumns], None]:
    return lambda batch: edges.extend(batch.rows())


def pair(
    order: list[HalfColumns], config: PairingConfig | None = None, *, expire: bool = True
) -> tuple[list[Edge], Pairer]:
    edges: list[Edge] = []
    pairer = Pairer(config or PairingConfig(), on_edges=collecting(edges))
    for half in order:
        pairer.add(half, 0.0)
    if expire:
        pairer.expire_all()
    return edges, pairer


def summary(edge: Edge) -> tuple[object, ...]:
    return (
        edge.client,
        edge.server,
        edge.connection_type,
        edge.failed,
        round(edge.client_seconds, 9),
        round(edge.server_seconds, 9),
        edge.client_version,
        edge.server_version,
        edge.operation,
        edge.variant,
        tuple(sorted(edge.dimensions.items())),
    )


def test_a_client_span_and_its_server_span_make_one_edge() -> None:
    client, server = call(
        "web",
        "orders",
        at=NOW,
        client_seconds=0.03,
        server_seconds=0.02,
        server_attributes={"orgloop.variants": "checkout=green"},
    )
    edges, pairer = pair(halves(client, server))
    assert [summary(e) for e in edges] == [
        (
            "web",
            "orders",
            "",
            False,
            0.03,
            0.02,
            "1.0.0",
            "2.0.0",
            "/orders/{id}",
            "checkout=green",
            (("client_service.version", "1.0.0"), ("server_service.version", "2.0.0")),
        )
    ]
    assert (pairer.paired, pairer.expired, pairer.pending()) == (1, 0, 0)


def test_either_span_failing_marks_the_call_failed() -> None:
    client, server = call("web", "orders", at=NOW, error=True)
    edges, _ = pair(halves(client, server))
    assert edges[0].failed


def test_a_client_span_naming_a_database_is_an_edge_on_its_own() -> None:
    spec = SpanSpec("orders", CLIENT, b"\x01" * 16, attributes={"db.name": "orders-db"})
    edges, pairer = pair(halves(spec), expire=False)
    assert [(e.client, e.server, e.connection_type) for e in edges] == [
        ("orders", "orders-db", "database")
    ]
    assert pairer.pending() == 0


def test_producer_and_consumer_pair_through_the_broker() -> None:
    trace = b"\x02" * 16
    producer = SpanSpec("orders", PRODUCER, trace)
    consumer = SpanSpec("billing", CONSUMER, trace, parent_span_id=producer.span_id)
    edges, _ = pair(halves(producer, consumer))
    assert [(e.client, e.server, e.connection_type) for e in edges] == [
        ("orders", "billing", "messaging_system")
    ]


def test_unpaired_halves_expire_into_virtual_nodes_and_are_counted() -> None:
    trace = b"\x03" * 16
    to_peer = SpanSpec("web", CLIENT, trace, attributes={"peer.service": "payments-gateway"})
    to_nowhere = SpanSpec("web", CLIENT, trace)
    root = SpanSpec("web", SERVER, b"\x04" * 16)
    orphan = SpanSpec("orders", SERVER, b"\x05" * 16, parent_span_id=b"\x06" * 8)
    edges, pairer = pair(halves(to_peer, to_nowhere, root, orphan))
    assert sorted((e.client, e.server, e.connection_type) for e in edges) == [
        ("user", "web", "virtual_node"),
        ("web", "payments-gateway", "virtual_node"),
        ("web", "unknown", "virtual_node"),
    ]
    assert pairer.expired == 4
    assert pairer.pending() == 0


def test_halves_wait_until_their_ttl_passes() -> None:
    edges: list[Edge] = []
    pairer = Pairer(PairingConfig(ttl_seconds=5), on_edges=collecting(edges))
    (client_half,) = halves(SpanSpec("web", CLIENT, b"\x07" * 16))
    pairer.add(client_half, now=100.0)
    pairer.expire(104.9)
    assert (pairer.pending(), pairer.expired) == (1, 0)
    pairer.expire(105.0)
    assert (pairer.pending(), pairer.expired, len(edges)) == (0, 1, 1)


def test_the_store_is_bounded_and_counts_what_it_drops() -> None:
    specs = [SpanSpec("web", CLIENT, bytes([i + 1]) * 16) for i in range(5)]
    edges, pairer = pair(halves(*specs), PairingConfig(max_items=3), expire=False)
    assert (pairer.pending(), pairer.dropped, edges) == (3, 2, [])


def test_sampled_spans_count_by_their_adjusted_count() -> None:
    client, server = call("web", "orders", at=NOW)
    client.trace_state = "ot=th:c"  # reject 3/4: sampled at 25%
    edges, _ = pair(halves(client, server))
    assert edges[0].weight == 4.0


calls = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]), st.booleans()),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(calls=calls, data=st.data())
def test_pairing_does_not_depend_on_arrival_order(
    calls: list[tuple[str, str, bool]], data: st.DataObject
) -> None:
    specs = [s for c, s, err in calls for s in call(c, s, at=NOW, error=err)]
    ordered = halves(*specs)
    shuffled = data.draw(st.permutations(ordered))
    first, _ = pair(ordered)
    second, pairer = pair(list(shuffled))
    assert sorted(map(summary, first)) == sorted(map(summary, second))
    assert pairer.paired == len(calls)
    assert pairer.expired == 0


@settings(max_examples=40, deadline=None)
@given(servers_first=st.booleans(), n=st.integers(1, 20), lost=st.integers(0, 20))
def test_every_half_is_paired_or_counted_expired(servers_first: bool, n: int, lost: int) -> None:
    specs = [call("a", "b", at=NOW) for _ in range(n)]
    clients = [c for c, _ in specs]
    servers = [s for _, s in specs][: max(0, n - lost)]
    ordered = halves(*(servers + clients if servers_first else clients + servers))
    edges, pairer = pair(ordered)
    kept = len(servers)
    assert pairer.paired == len(edges) == n  # lost servers become virtual 'unknown' edges
    assert pairer.expired == n - kept
    assert sum(e.server == "unknown" for e in edges) == n - kept
