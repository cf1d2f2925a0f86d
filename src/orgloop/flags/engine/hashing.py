"""Deterministic hashes that put a unit in a bucket, identical to GrowthBook's SDKs.

FNV-1a 32 runs over UTF-16 code units, as JavaScript's ``charCodeAt`` sees a string, so a
non-ASCII id lands in the same bucket in every SDK. Three implementations give the same numbers,
the fastest available is used: the engine's own C module ``_fnv16`` (built at install by
``hatch_build.py``; it reads any str's code units in place and computes GrowthBook's whole hash in
one call), else ``fnv-hash-fast`` for ASCII text with the pure version for the rest, else the
pure version. Two extra hash versions serve the translated Eppo and Unleash rulesets.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from collections.abc import Callable
from typing import Any, Final

_FNV_OFFSET: Final = 0x811C9DC5
_FNV_PRIME: Final = 0x01000193
_MASK: Final = 0xFFFFFFFF

MD5_TOTAL_SHARDS: Final = 10_000


_UTF16 = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"  # native order for "H"
_WIDE = re.compile("[^\x00-\xff]")
"""A code unit that does not fit in a byte."""


def fnv1a32_pure(
    text: str, h: int = _FNV_OFFSET, prime: int = _FNV_PRIME, mask: int = _MASK
) -> int:
    """FNV-1a 32 over the UTF-16 code units of ``text`` (a surrogate pair is two units),
    continuing from the state ``h`` (the offset basis: from the start).

    Two units per turn, masked once: the low 32 bits of a product depend only on the low 32
    bits of its factors, and a unit XORs into the low 16 bits only."""
    units = memoryview(text.encode(_UTF16, "surrogatepass")).cast("H")
    pairs = iter(units)
    for a, b in zip(pairs, pairs, strict=False):
        h = ((((h ^ a) * prime) ^ b) * prime) & mask
    if len(units) & 1:
        h = ((h ^ units[-1]) * prime) & mask
    return h


def _fnv_units(text: str) -> int:
    """FNV-1a 32 of any text as GrowthBook computes it, with as much as possible in C.

    A code unit below 256 is one byte of the Latin-1 encoding, and one FNV step over that byte
    is the same step as over the unit. So the text up to its first wider unit (the whole text,
    often, and at least the seed of a version-2 hash) is hashed in C; the hash of that prefix is
    the state the rest continues from, in Python."""
    wide = _WIDE.search(text)
    if wide is None:
        return _C_FNV(text.encode("latin-1")) if _C_FNV is not None else fnv1a32_pure(text)
    start = wide.start()
    if start == 0 or _C_FNV is None:
        return fnv1a32_pure(text)
    return fnv1a32_pure(text[start:], _C_FNV(text[:start].encode("latin-1")))


def _load_c_fnv() -> Callable[[bytes], int] | None:
    try:
        from fnv_hash_fast import fnv1a_32
    except ImportError:  # optional speed-up: the pure version gives the same numbers
        return None
    # Only trust the C version when it agrees with ours on a known value.
    return fnv1a_32 if fnv1a_32(b"a") == fnv1a32_pure("a") else None


_C_FNV = _load_c_fnv()


def _fnv1a32_fast(text: str) -> int:
    if text.isascii():
        return _C_FNV(text.encode()) if _C_FNV is not None else fnv1a32_pure(text)
    return _fnv_units(text)


fnv1a32: Callable[[str], int] = _fnv1a32_fast if _C_FNV is not None else fnv1a32_pure
"""The FNV-1a 32 hash of a string as GrowthBook computes it; C-accelerated for ASCII."""


def hash_v1(seed: str, value: str) -> float:
    """GrowthBook's original (biased) hash, three decimals in [0, 1)."""
    return (fnv1a32(value + seed) % 1000) / 1000


def hash_v2(seed: str, value: str) -> float:
    """GrowthBook's unbiased hash, four decimals in [0, 1)."""
    return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000


if _C_FNV is not None:
    _c_fnv = _C_FNV

    # The same two functions with the C hash inlined: this is the SDK's hottest path.
    def hash_v1(seed: str, value: str) -> float:
        text = value + seed
        h = _c_fnv(text.encode()) if text.isascii() else _fnv_units(text)
        return (h % 1000) / 1000

    def hash_v2(seed: str, value: str) -> float:
        text = seed + value
        h = _c_fnv(text.encode()) if text.isascii() else _fnv_units(text)
        return (_c_fnv(str(h).encode()) % 10000) / 10000


def _load_c_hashes() -> Any:
    try:
        from orgloop.flags.engine import _fnv16  # type: ignore[attr-defined]
    except ImportError:  # not built (no compiler at install): the other versions agree
        return None
    # Only trust it when it agrees with the pure version on every kind of string storage.
    samples = ("", "user-1", "usér-1", "ユーザー-1-Ωμέγα", "東京-😀", "\ud800-lone")
    for text in samples:
        if _fnv16.fnv1a32(text) != fnv1a32_pure(text):
            return None
        if _fnv16.hash_v1("seed", text) != (fnv1a32_pure(text + "seed") % 1000) / 1000:
            return None
        if (
            _fnv16.hash_v2("seed", text)
            != (fnv1a32_pure(str(fnv1a32_pure("seed" + text))) % 10000) / 10000
        ):
            return None
    return _fnv16


_C_HASHES = _load_c_hashes()
if _C_HASHES is not None:
    fnv1a32 = _C_HASHES.fnv1a32
    hash_v1 = _C_HASHES.hash_v1
    hash_v2 = _C_HASHES.hash_v2


def seeded(version: object, seed: str) -> Callable[[str], float] | None:
    """``value -> hash(seed, value, version)`` with the seed bound, for a rule's hot path.

    GrowthBook's two versions call C directly (one call per unit, no version lookup); None for
    an unknown version.
    """
    fn = hasher(version)
    if fn is None:
        return None
    if _C_HASHES is not None and fn in (hash_v1, hash_v2):
        return functools.partial(fn, seed)
    c_fnv, pure = _C_FNV, _fnv_units
    if c_fnv is None or fn not in (hash_v1, hash_v2):
        return lambda value: fn(seed, value)
    if fn is hash_v2:

        def unbiased(value: str) -> float:
            text = seed + value
            h = c_fnv(text.encode()) if text.isascii() else pure(text)
            return (c_fnv(b"%d" % h) % 10000) / 10000

        return unbiased

    def original(value: str) -> float:
        text = value + seed
        return ((c_fnv(text.encode()) if text.isascii() else pure(text)) % 1000) / 1000

    return original


def hash_md5_shards(seed: str, value: str) -> float:
    """Eppo's sharding: ``md5(f"{salt}-{subject}")[:8] % 10000``, as a fraction in [0, 1)."""
    digest = hashlib.md5(f"{seed}-{value}".encode(), usedforsecurity=False).hexdigest()
    return (int(digest[:8], 16) % MD5_TOTAL_SHARDS) / MD5_TOTAL_SHARDS


def _load_murmur3() -> Callable[[str, str], float] | None:
    try:
        import mmh3
    except ImportError:  # optional: rules naming "murmur3" then match nobody
        return None

    def hash_murmur3(seed: str, value: str) -> float:
        # Unleash's normalisation: murmur3(f"{group}:{id}") % 100 + 1, a percentage in 1..100.
        return (mmh3.hash(f"{seed}:{value}", 0, signed=False) % 100 + 1) / 100

    return hash_murmur3


hash_murmur3 = _load_murmur3()

_BY_VERSION: dict[object, Callable[[str, str], float]] = {
    1: hash_v1,
    2: hash_v2,
    "md5-shards": hash_md5_shards,
}
if hash_murmur3 is not None:
    _BY_VERSION["murmur3"] = hash_murmur3


def hasher(version: object) -> Callable[[str, str], float] | None:
    """The hash function of a version, or None for an unknown (or unavailable) version."""
    if isinstance(version, bool):
        return None
    return _BY_VERSION.get(version)


def gb_hash(seed: str, value: str, version: object) -> float | None:
    """``hash(seed, value, version)`` of GrowthBook: None for an unknown version."""
    fn = hasher(version)
    return None if fn is None else fn(seed, value)
