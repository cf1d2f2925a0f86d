"""Both OTLP encodings decode to the same export; gzip and the JSON mapping's details."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st

from orgloop.kernel.errors import PayloadTooLarge
from orgloop.traces.decoding import decode, encoding_of, inflate
from orgloop.traces.errors import MalformedExport, UnsupportedEncoding
from tests.traces.builders import CLIENT, CONSUMER, INTERNAL, PRODUCER, SERVER, SpanSpec, export

ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def to_otlp_json(document: Any) -> Any:
    """proto3 JSON (base64 ids) -> the OTLP JSON mapping (hex ids)."""
    if isinstance(document, dict):
        return {
            k: base64.b64decode(v).hex() if k in ID_FIELDS else to_otlp_json(v)
            for k, v in document.items()
        }
    if isinstance(document, list):
        return [to_otlp_json(v) for v in document]
    return document


spans = st.builds(
    SpanSpec,
    service=st.sampled_from(["web", "orders", "ünïcode-svc"]),
    kind=st.sampled_from([SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL]),
    trace_id=st.binary(min_size=16, max_size=16),
    span_id=st.binary(min_size=8, max_size=8),
    parent_span_id=st.sampled_from([b"", b"\x01" * 8]),
    name=st.text(max_size=20),
    duration_ns=st.integers(0, 10**12),
    error=st.booleans(),
    attributes=st.dictionaries(
        st.sampled_from(["http.route", "db.name", "n", "ok", "ratio"]),
        st.one_of(st.text(max_size=10), st.integers(-(2**63), 2**63 - 1), st.booleans()),
        max_size=4,
    ),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(spans, max_size=6))
def test_protobuf_and_json_encodings_decode_to_the_same_export(specs: list[SpanSpec]) -> None:
    request = export(*specs)
    from_protobuf = decode(request.SerializeToString(), "protobuf")
    document = to_otlp_json(json_format.MessageToDict(request))
    from_json = decode(orjson.dumps(document), "json")
    assert from_json == from_protobuf == request


def test_gzip_is_inflated_and_capped() -> None:
    body = export(SpanSpec("web", SERVER, b"\x01" * 16)).SerializeToString()
    assert inflate(gzip.compress(body), "gzip", max_bytes=10_000) == body
    with pytest.raises(PayloadTooLarge):
        inflate(gzip.compress(b"\0" * 20_000), "gzip", max_bytes=10_000)
    with pytest.raises(MalformedExport, match="truncated"):
        inflate(gzip.compress(body)[:-10], "gzip", max_bytes=10_000)
    with pytest.raises(UnsupportedEncoding, match="br"):
        inflate(body, "br", max_bytes=10_000)


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("application/x-protobuf", "protobuf"),
        ("application/protobuf", "protobuf"),
        ("application/json; charset=utf-8", "json"),
        ("Application/JSON", "json"),
    ],
)
def test_content_types(content_type: str, encoding: str) -> None:
    assert encoding_of(content_type) == encoding
