"""A lean view of an OTLP export for ingest: the same wire format read through a smaller schema.

``LeanExport`` declares only what intake and pairing read (ids, kind, times, status code, name,
tracestate, the resource's and the span's attributes); everything else (scopes, events, links,
dropped counts, flags) is skipped by the protobuf runtime as unknown fields. Attributes are
declared as ``map<string, bytes>``, which is wire-compatible with OTLP's
``repeated KeyValue`` (a map entry *is* a message with the key as field 1 and the value as
field 2, and a message field is length-delimited like bytes), so the runtime (upb, in C) indexes
them while parsing and intake looks up the handful of keys the graph needs instead of wrapping
every ``KeyValue`` of every span in a Python object. A value comes back as the encoded
``AnyValue`` (plain bytes, no message object); ``intake.texts`` turns the distinct ones of a
column into text. A repeated key keeps its last value, as the protobuf map rules say (and as a
dict built from the list would).

The full ``ExportTraceServiceRequest`` is still parsed by the receiver (it validates the whole
body and is what the trace view reads back); this view only makes ingest cheaper per span.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "orgloop.traces.lean"
_F = descriptor_pb2.FieldDescriptorProto


def _file() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name="orgloop/traces/lean.proto",
        package=_PACKAGE,
        syntax="proto3",
    )

    def message(name: str, *fields: tuple[str, int, int, str | None, bool]) -> Any:
        proto = file.message_type.add(name=name)
        for field_name, number, kind, type_name, repeated in fields:
            label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
            proto.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                proto.field[-1].type_name = type_name
        return proto

    def attributes_map(owner: Any, number: int) -> None:
        entry = owner.nested_type.add(name="AttributesEntry")
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, type=_F.TYPE_STRING, label=_F.LABEL_OPTIONAL)
        entry.field.add(name="value", number=2, type=_F.TYPE_BYTES, label=_F.LABEL_OPTIONAL)
        owner.field.add(
            name="attributes", number=number, type=_F.TYPE_MESSAGE, label=_F.LABEL_REPEATED,
            type_name=f".{_PACKAGE}.{owner.name}.AttributesEntry",
        )  # fmt: skip

    span = message(
        "Span",
        ("trace_id", 1, _F.TYPE_BYTES, None, False),
        ("span_id", 2, _F.TYPE_BYTES, None, False),
        ("trace_state", 3, _F.TYPE_STRING, None, False),
        ("parent_span_id", 4, _F.TYPE_BYTES, None, False),
        ("name", 5, _F.TYPE_STRING, None, False),
        ("kind", 6, _F.TYPE_INT32, None, False),
        ("start_time_unix_nano", 7, _F.TYPE_FIXED64, None, False),
        ("end_time_unix_nano", 8, _F.TYPE_FIXED64, None, False),
        # The Status message's bytes: empty unless set (intake decodes the rare non-empty one).
        ("status", 15, _F.TYPE_BYTES, None, False),
    )
    attributes_map(span, 9)
    resource = message("Resource")
    attributes_map(resource, 1)
    message("ScopeSpans", ("spans", 2, _F.TYPE_MESSAGE, f".{_PACKAGE}.Span", True))
    message(
        "ResourceSpans",
        ("resource", 1, _F.TYPE_MESSAGE, f".{_PACKAGE}.Resource", False),
        ("scope_spans", 2, _F.TYPE_MESSAGE, f".{_PACKAGE}.ScopeSpans", True),
    )
    message("Export", ("resource_spans", 1, _F.TYPE_MESSAGE, f".{_PACKAGE}.ResourceSpans", True))
    return file


def _export_class() -> Any:
    pool = descriptor_pool.Default()
    try:
        descriptor = pool.FindMessageTypeByName(f"{_PACKAGE}.Export")
    except KeyError:
        pool.Add(_file())
        descriptor = pool.FindMessageTypeByName(f"{_PACKAGE}.Export")
    return message_factory.GetMessageClass(descriptor)


#: ``LeanExport.FromString(body)`` reads an ``ExportTraceServiceRequest``'s protobuf bytes.
LeanExport: Any = _export_class()
