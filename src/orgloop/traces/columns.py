"""An export's pairing halves and a batch of completed edges, held in columns.

Ingest handles an export as a whole: intake fills ``HalfColumns`` (one list per field, one row
per CLIENT/SERVER/PRODUCER/CONSUMER span), pairing turns them into ``EdgeColumns``, the metrics
aggregate those per batch with numpy and the writer appends them as one Arrow table. No Python
object is made per span beyond the values themselves (see docs/traces.md, "Ingest in columns").
``HalfColumns.split`` and ``EdgeColumns.rows`` exist for tests and readers who want one record
at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

#: A half's dimension values, one per ``PairingConfig.dimensions`` name ("" where absent).
Dims = tuple[str, ...]


@dataclass
class HalfColumns:
    """What pairing needs of each CLIENT/SERVER/PRODUCER/CONSUMER span of an export.

    ``db`` is the first database name a CLIENT span carries (else ""); ``peer`` the first peer
    attribute value a CLIENT or PRODUCER span carries (the server a virtual node takes).
    """

    trace_id: list[bytes] = field(default_factory=list)
    span_id: list[bytes] = field(default_factory=list)
    parent_span_id: list[bytes] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    service: list[str] = field(default_factory=list)
    start_ns: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    failed: list[bool] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    version: list[str] = field(default_factory=list)
    operation: list[str] = field(default_factory=list)
    variant: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    dims: list[Dims] = field(default_factory=list)
    db: list[str] = field(default_factory=list)
    peer: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.trace_id)

    def extend(self, other: HalfColumns) -> None:
        for f in fields(self):
            getattr(self, f.name).extend(getattr(other, f.name))

    def split(self) -> list[HalfColumns]:
        """One batch per half (tests pair them in any order)."""
        names = [f.name for f in fields(self)]
        columns = [getattr(self, name) for name in names]
        return [
            HalfColumns(**{name: [column[i]] for name, column in zip(names, columns, strict=True)})
            for i in range(len(self))
        ]


@dataclass(slots=True)
class Edge:
    """One completed call, as a record (``EdgeColumns.rows``)."""

    trace_id: bytes
    client: str
    server: str
    connection_type: str
    virtual_node: str
    failed: bool
    weight: float
    start_ns: int
    client_seconds: float
    server_seconds: float
    client_version: str
    server_version: str
    operation: str
    variant: str
    env: str
    dimensions: dict[str, str]


@dataclass
class EdgeColumns:
    """Completed calls, one list per field. ``client_dims``/``server_dims`` hold each side's
    dimension values in the order of ``dimensions`` (the configured names)."""

    dimensions: tuple[str, ...] = ()
    trace_id: list[bytes] = field(default_factory=list)
    client: list[str] = field(default_factory=list)
    server: list[str] = field(default_factory=list)
    connection_type: list[str] = field(default_factory=list)
    virtual_node: list[str] = field(default_factory=list)
    failed: list[bool] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    start_ns: list[int] = field(default_factory=list)
    client_seconds: list[float] = field(default_factory=list)
    server_seconds: list[float] = field(default_factory=list)
    client_version: list[str] = field(default_factory=list)
    server_version: list[str] = field(default_factory=list)
    operation: list[str] = field(default_factory=list)
    variant: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    client_dims: list[Dims] = field(default_factory=list)
    server_dims: list[Dims] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.trace_id)

    def extend(self, other: EdgeColumns) -> None:
        for f in fields(self):
            if f.name != "dimensions":
                getattr(self, f.name).extend(getattr(other, f.name))

    @classmethod
    def concat(cls, parts: list[EdgeColumns], dimensions: tuple[str, ...]) -> EdgeColumns:
        whole = cls(dimensions=dimensions)
        for part in parts:
            whole.extend(part)
        return whole

    def labels(self, index: int) -> dict[str, str]:
        """The dimension labels of one edge: ``client_<name>``/``server_<name>``, when set."""
        found: dict[str, str] = {}
        for side, values in (
            ("client_", self.client_dims[index]),
            ("server_", self.server_dims[index]),
        ):
            for name, value in zip(self.dimensions, values, strict=True):
                if value:
                    found[side + name] = value
        return found

    def rows(self) -> list[Edge]:
        return [
            Edge(
                trace_id=self.trace_id[i],
                client=self.client[i],
                server=self.server[i],
                connection_type=self.connection_type[i],
                virtual_node=self.virtual_node[i],
                failed=self.failed[i],
                weight=self.weight[i],
                start_ns=self.start_ns[i],
                client_seconds=self.client_seconds[i],
                server_seconds=self.server_seconds[i],
                client_version=self.client_version[i],
                server_version=self.server_version[i],
                operation=self.operation[i],
                variant=self.variant[i],
                env=self.env[i],
                dimensions=self.labels(i),
            )
            for i in range(len(self))
        ]
