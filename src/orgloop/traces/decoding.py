"""Turns an OTLP/HTTP request body into an ``ExportTraceServiceRequest``, and a result into the
response body, in either of the two OTLP encodings.

- Protobuf (``application/x-protobuf``): parsed by the protobuf runtime (upb, in C).
- JSON (``application/json``): the OTLP JSON mapping, i.e. proto3 JSON with trace and span ids
  as hex strings (not base64); enums as integers or names, 64-bit integers as numbers or
  strings, lowerCamelCase or original field names. Ids are turned into bytes here; an id that is
  not hex becomes a one-byte id so intake rejects that span (partial success), not the export.
- ``Content-Encoding: gzip`` is inflated with a cap, so a small body cannot expand without bound.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any, Literal

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from orgloop.kernel.errors import PayloadTooLarge
from orgloop.traces.errors import MalformedExport, UnsupportedEncoding
from orgloop.traces.intake import NOT_HEX

Encoding = Literal["protobuf", "json"]
PROTOBUF = "application/x-protobuf"
JSON = "application/json"

_BAD_ID = base64.b64encode(NOT_HEX).decode()
_ID_FIELDS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def encoding_of(content_type: str | None) -> Encoding:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in (PROTOBUF, "application/protobuf"):
        return "protobuf"
    if media == JSON:
        return "json"
    raise UnsupportedEncoding(
        f"Content-Type {media or '(none)'!r} is not supported; send {PROTOBUF} or {JSON}"
    )


def inflate(body: bytes, content_encoding: str | None, *, max_bytes: int) -> bytes:
    """The body without its content encoding (gzip or identity), at most ``max_bytes`` long."""
    coding = (content_encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip"):
        raise UnsupportedEncoding(f"Content-Encoding {coding!r} is not supported; use gzip")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise MalformedExport(f"body is not valid gzip ({exc})") from None
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"body inflates to more than the limit of {max_bytes} bytes")
    if not inflater.eof:
        raise MalformedExport("gzip body is truncated")
    return data


def decode(body: bytes, encoding: Encoding) -> ExportTraceServiceRequest:
    if encoding == "protobuf":
        message = ExportTraceServiceRequest()
        try:
            message.ParseFromString(body)
        except DecodeError as exc:
            raise MalformedExport(
                f"body is not an OTLP ExportTraceServiceRequest ({exc})"
            ) from None
        return message
    return decode_json(body)


def decode_json(body: bytes | str) -> ExportTraceServiceRequest:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedExport(f"body is not valid JSON ({exc})") from None
    return from_json_object(document)


def from_json_object(document: Any) -> ExportTraceServiceRequest:
    """An export from an OTLP JSON document already parsed (e.g. from YAML)."""
    if not isinstance(document, dict):
        raise MalformedExport("body must be a JSON object with 'resourceSpans'")
    for resource in _list(document, "resourceSpans", "resource_spans"):
        for scope in _list(resource, "scopeSpans", "scope_spans"):
            for span in _list(scope, "spans"):
                _hex_ids_to_base64(span)
                for link in _list(span, "links"):
                    _hex_ids_to_base64(link)
    message = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise MalformedExport(f"body is not an OTLP JSON export: {exc}") from None
    return message


def _list(parent: Any, *names: str) -> list[Any]:
    if not isinstance(parent, dict):
        return []
    for name in names:
        value = parent.get(name)
        if isinstance(value, list):
            return value
    return []


def _hex_ids_to_base64(item: Any) -> None:
    if not isinstance(item, dict):
        return
    for name in _ID_FIELDS:
        value = item.get(name)
        if isinstance(value, str):
            try:
                item[name] = base64.b64encode(bytes.fromhex(value)).decode()
            except (ValueError, binascii.Error):
                item[name] = _BAD_ID


def response(rejected: int, message: str, encoding: Encoding) -> tuple[bytes, str]:
    """The ExportTraceServiceResponse body (``partial_success`` only when spans were rejected)."""
    reply = ExportTraceServiceResponse()
    if rejected or message:
        reply.partial_success.rejected_spans = rejected
        reply.partial_success.error_message = message
    if encoding == "protobuf":
        return reply.SerializeToString(), PROTOBUF
    return orjson.dumps(json_format.MessageToDict(reply)), JSON


def status(code: int, message: str, encoding: Encoding) -> tuple[bytes, str]:
    """A ``google.rpc.Status`` body for an error response (``code`` is the gRPC code)."""
    body = status_pb2.Status(code=code, message=message)
    if encoding == "protobuf":
        return body.SerializeToString(), PROTOBUF
    return orjson.dumps(json_format.MessageToDict(body)), JSON
