"""Deprecation and sunset: which consumers still use what their provider wants to retire.

- ``uses``: pure judging: ``provider_uses`` (one provider in one environment), ``DeprecatedUse``,
  ``ProviderVersion``, ``deprecated_operations``, ``matches``, ``parse_date``.
- ``deprecations``: ``gather_uses`` (the report's reads, sharing can-i-deploy's cache) and
  ``to_model`` (one use as the report shows it).

The package itself imports nothing, so importing the pure ``uses`` costs no SQL.
"""
