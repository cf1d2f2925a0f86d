"""Hashing: GrowthBook's FNV-1a over UTF-16 code units, with and without the C speed-up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgloop.flags.engine import hashing
from orgloop.flags.engine.hashing import fnv1a32, fnv1a32_pure, gb_hash, hash_md5_shards


def _reference(text: str) -> int:
    """FNV-1a as JavaScript computes it: one step per UTF-16 code unit (charCodeAt)."""
    h = 0x811C9DC5
    for ch in text:
        cp = ord(ch)
        units = (
            [cp]
            if cp < 0x10000
            else [0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF)]
        )
        for unit in units:
            h = ((h ^ unit) * 0x01000193) & 0xFFFFFFFF
    return h


@pytest.mark.parametrize("text", ["", "a", "user-123", "é", "日本語", "emoji 😀 id", "Ünïcødé"])
def test_fnv_hashes_utf16_code_units_like_javascript(text: str) -> None:
    assert fnv1a32_pure(text) == _reference(text)
    assert fnv1a32(text) == _reference(text)


@given(st.text(max_size=40))
def test_fast_and_pure_fnv_agree(text: str) -> None:
    assert fnv1a32(text) == fnv1a32_pure(text)


@given(st.text(max_size=20), st.text(max_size=20))
def test_hash_versions_stay_in_unit_interval(seed: str, value: str) -> None:
    for version in (1, 2):
        n = gb_hash(seed, value, version)
        assert n is not None
        assert 0 <= n < 1


def test_unknown_hash_version_gives_none() -> None:
    assert gb_hash("seed", "value", 99) is None
    assert gb_hash("seed", "value", True) is None


def test_c_speed_up_is_used_when_installed() -> None:
    pytest.importorskip("fnv_hash_fast", reason="fnv-hash-fast not installed: pure hashing only")
    assert hashing._C_FNV is not None


def test_md5_shards_follow_eppo() -> None:
    # int(md5("salt-alice")[:8], 16) % 10000, computed independently.
    import hashlib

    shard = int(hashlib.md5(b"salt-alice").hexdigest()[:8], 16) % 10000
    assert hash_md5_shards("salt", "alice") == shard / 10000


def test_murmur3_follows_unleash_normalisation() -> None:
    mmh3 = pytest.importorskip(
        "mmh3", reason="mmh3 not installed: murmur3 hash version unavailable"
    )
    expected = mmh3.hash("group:user-1", 0, signed=False) % 100 + 1
    assert gb_hash("group", "user-1", "murmur3") == expected / 100


@given(st.text(), st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_any_script_hashes_like_javascript_in_every_version(value: str, seed: str) -> None:
    # Latin-1 text goes through C whole, other text through C up to its first wide unit.
    assert fnv1a32(value) == _reference(value)
    v2 = hashing.seeded(2, seed)
    v1 = hashing.seeded(1, seed)
    assert v2 is not None
    assert v1 is not None
    assert v2(value) == (_reference(str(_reference(seed + value))) % 10000) / 10000
    assert v1(value) == (_reference(value + seed) % 1000) / 1000


@pytest.mark.parametrize("text", ["ÿé-latin", "ab東京", "東京ab", "a😀", "\udc00x", "x" * 40 + "é"])
def test_prefix_split_agrees_with_the_reference(text: str) -> None:
    assert fnv1a32(text) == _reference(text)
