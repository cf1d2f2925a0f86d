"""can-i-deploy: what runs where, the facts about one candidate version, and the verdict.

- ``deployments``: ``change`` (record or end a deployment or a supported release, audited),
  ``to_model``, ``short`` (a team's short name).
- ``facts``: ``gather`` (what the verdict needs, in a handful of indexed reads),
  ``load_documents`` (stored documents by digest, through the cache).
- ``compat``: pure judging: ``Facts``, ``Running``, ``Contract``, ``Reason``, ``judge``;
  ``contract_problems``, ``used_operations`` and ``api_diff``, which ``sunset`` shares.
- ``memo``: ``Memo``, the digest-keyed cache of documents and of results computed from them.

The package itself imports nothing, so importing the pure ``compat`` costs no SQL.
"""
