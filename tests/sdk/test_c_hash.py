"""The engine's C hash (``_fnv16``, built at install) and its pure-Python fallback agree on every
string, so a unit lands in the same variation whichever one a service has."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.flags.engine import hashing

ROOT = Path(__file__).resolve().parents[2]
C = hashing._C_HASHES
needs_c = pytest.mark.skipif(
    C is None, reason="the C hash was not built (no C compiler at install): pure Python only"
)
# Every kind of str storage: ASCII, Latin-1, the BMP, astral characters and lone surrogates.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(max_codepoint=0x7F),
        st.characters(max_codepoint=0xFF),
        st.characters(max_codepoint=0xFFFF),
        st.characters(),
        st.sampled_from(["\ud800", "\udfff"]),
    ),
    max_size=40,
)


def _pure_v1(seed: str, value: str) -> float:
    return (hashing.fnv1a32_pure(value + seed) % 1000) / 1000


def _pure_v2(seed: str, value: str) -> float:
    return (hashing.fnv1a32_pure(str(hashing.fnv1a32_pure(seed + value))) % 10000) / 10000


def test_the_c_hash_is_built_by_the_install() -> None:
    if C is None:
        pytest.skip("no C compiler at install time: the engine runs on its pure-Python hash")
    assert hashing.hash_v2 is C.hash_v2


@needs_c
@given(seed=TEXT, value=TEXT)
def test_the_c_hash_agrees_with_the_pure_hash_on_any_text(seed: str, value: str) -> None:
    assert C.fnv1a32(value) == hashing.fnv1a32_pure(value)
    assert C.hash_v1(seed, value) == _pure_v1(seed, value)
    assert C.hash_v2(seed, value) == _pure_v2(seed, value)
    bucket_of = hashing.seeded(2, seed)
    assert bucket_of is not None
    assert bucket_of(value) == _pure_v2(seed, value)


def test_without_the_c_module_the_same_units_get_the_same_buckets() -> None:
    values = ["user-1", "usér-2-東京-😀", "ユーザー-3-Ωμέγα", "\ud800", ""]
    script = (
        "import json, sys\n"
        "sys.modules['orgloop.flags.engine._fnv16'] = None  # as if it was never built\n"
        "sys.modules['fnv_hash_fast'] = None\n"
        "from orgloop.flags.engine import hashing\n"
        "assert hashing._C_HASHES is None\n"
        "values = json.loads(sys.argv[1])\n"
        "print(json.dumps([[hashing.hash_v1('s', v), hashing.hash_v2('s', v)] for v in values]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, json.dumps(values)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fallback = json.loads(out)
    assert fallback == [[hashing.hash_v1("s", v), hashing.hash_v2("s", v)] for v in values]
    assert fallback == [[_pure_v1("s", v), _pure_v2("s", v)] for v in values]
