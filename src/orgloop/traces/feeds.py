"""What the traces slice feeds other slices: observed consumers and per-variant span statistics.

The SQL that selects them from the ``edges`` table (their models, ``ObservedCall`` and
``VariantSpanStats``, are in ``models.py``); the store runs it, and ``TraceService.observed_calls``
/ ``variant_span_stats`` are the public interface.
Contracts reads the first (who calls a provider, in which version, on which operation), experiments
the second (latency and error rate per experiment variant, one observation per request), insights
the third (how deep each entry point's traces call, ``CallDepth``).
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

#: Per trace, the longest chain of calls from its entry point: the server of the trace's
#: ``user`` edge (its root SERVER span), else a client no call of the trace reaches. Calls are
#: followed service to service within the trace (a service called twice counts once per
#: depth); a chain longer than ``MAX_DEPTH`` (a cycle) stops there.
MAX_DEPTH = 32
CALL_DEPTH_SQL = """
    WITH RECURSIVE calls AS (
        SELECT DISTINCT trace_id, client, server FROM edges WHERE {where}
    ),
    entries AS (
        SELECT DISTINCT trace_id, server AS entry FROM calls WHERE client = 'user'
        UNION
        SELECT DISTINCT c.trace_id, c.client FROM calls AS c
        WHERE c.client <> 'user'
          AND NOT EXISTS (SELECT 1 FROM calls AS p
                          WHERE p.trace_id = c.trace_id AND p.server = c.client)
    ),
    walk(trace_id, entry, node, depth) AS (
        SELECT trace_id, entry, entry, 0 FROM entries
        UNION
        SELECT w.trace_id, w.entry, c.server, w.depth + 1
        FROM walk AS w JOIN calls AS c ON c.trace_id = w.trace_id AND c.client = w.node
        WHERE c.client <> 'user' AND w.depth < {max_depth}
    ),
    deepest AS (SELECT trace_id, entry, max(depth) AS depth FROM walk GROUP BY trace_id, entry)
    SELECT entry, count(*), quantile_cont(depth, 0.95), max(depth), avg(depth)
    FROM deepest GROUP BY entry ORDER BY entry
"""
