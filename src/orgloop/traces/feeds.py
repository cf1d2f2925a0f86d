"""What the traces slice feeds other slices: observed consumers and per-variant span statistics.

The SQL that selects them from the ``edges`` table (their models, ``ObservedCall`` and
``VariantSpanStats``, are in ``models.py``); the store runs it, and ``TraceService.observed_calls``
/ ``variant_span_stats`` are the public interface.
Contracts reads the first (who calls a provider, in which version, on which operation), experiments
the second (latency and error rate per experiment variant, one observation per request).
"""

from __future__ import annotations

import re


def variant_pattern(experiment: str) -> str:
    """A regular expression whose group 1 is the variant of ``experiment`` in an edge's variant."""
    return f"(?:^|,){re.escape(experiment)}=([^,]*)"


CONSUMERS_SQL = """
    SELECT client, client_version, operation, server_version,
           sum(weight), sum(CASE WHEN failed THEN weight ELSE 0 END), max(start_ns)
    FROM edges WHERE {where} AND server = ? AND client <> 'user'
    GROUP BY client, client_version, operation, server_version
    ORDER BY client, client_version, operation, server_version
"""

VARIANT_SQL = """
    SELECT regexp_extract(variant, ?, 1) AS v, count(*), sum(server_seconds),
           sum(server_seconds * server_seconds), count(*) FILTER (WHERE failed)
    FROM edges WHERE {where} AND server = ? AND server_seconds > 0 {route}
      AND regexp_matches(variant, ?)
    GROUP BY v ORDER BY v
"""
