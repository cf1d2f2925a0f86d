"""DORA and flow: the delivery room of the insights slice.

``service.DeliveryService`` is its door (imports, ``dora``, ``flow``); ``models`` holds the wire
models. Pure modules: ``bands`` (2023 State of DevOps levels), ``dora``, ``flow``, ``grouped``
(array grouping), ``facts`` (rows to arrays), ``records`` (the generic import format),
``fourkeys`` (GitHub and GitLab webhooks, Four Keys' mapping), ``jira``, ``csvfiles``,
``directory`` (names from the catalog) and ``checks`` (per-record problems). ``store`` is its
only SQL. docs/insights-delivery.md describes the metrics and formats.
"""
