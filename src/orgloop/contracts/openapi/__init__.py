"""OpenAPI 3.0/3.1 loading and breaking-change detection with oasdiff-compatible rule ids.

- ``loader``: ``load_document`` (files, local ``$ref`` files, size limits), ``parse_document``.
- ``diff``: ``diff(base, revision, *, policy, today)``, the entry point: ``Change`` findings.
- ``policy``: ``Policy``, ``load_policy``, ``parse_policy``: rule levels, ignores, sunset notice.
- ``model``: ``Change``, ``Settings``, ``LEVELS``; ``rules``: ``RULES``, every rule id and level.
- the rest are the diff's parts: ``paths``, ``parameters``, ``bodies``, ``responses``,
  ``security``, ``info``, and the schema diff (``schemas`` walks, ``schema_keywords``,
  ``composition`` and ``properties`` compare, ``schema_walk`` is what they share).

Pure: no IO beyond reading the files ``loader`` is given.
"""
