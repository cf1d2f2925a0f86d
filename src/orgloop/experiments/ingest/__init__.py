"""Tracked events: what SDKs and services send to ``POST /api/v1/events``, from bytes to tables.

A *tracked event* is an exposure ("unit U saw variant V of experiment E") or a track event ("unit
U did `purchase`"), sent by an SDK; it is not a bus event (``orgloop.experiments.events``, facts
the slice publishes inside the server). This room takes tracked events in and keeps them; the
experiments lifecycle (``service``, ``lifecycle``) and the analysis (``queries``, ``analysis``)
read them through an Ibis connection and never import this room's modules.

- ``api``: ``build_router(*, store, clock, limits)``, the ``POST /api/v1/events`` route;
- ``parsing``: a batch's bytes into validated rows (``Exposure``, ``Track``) and rejections; pure;
- ``store``: ``EventStore``, the DuckDB file ``<data_dir>/events.duckdb`` and its writer;
- ``log``: the ingest log, segment files of acknowledged batches;
- ``loader``: the thread that loads closed log segments into the tables, exactly once;
- ``rows``: the id-hash index and the Python decoder of a segment DuckDB refuses;
- ``shared``: several replicas: sealed segments as Parquet in a shared directory, and the union
  of every store's events an analysis reads.

Nothing is re-exported here: importing the room's parsing must not open DuckDB. Only the
composition root (``orgloop.app``) builds the store; the route writes to it directly, for
throughput (the one exception to "an api never imports a store", named in the import contracts).
"""
