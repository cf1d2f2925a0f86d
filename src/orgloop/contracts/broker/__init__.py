"""The Pact Broker API under ``/pact-broker``, over orgloop's consumer contracts, so that the
official clients (``pact-broker``, Pact provider verifiers) work unchanged.

- ``api``: ``build_router(*, contracts)``, the slice's second router (mounted by ``app.py``),
  with the verifier's routes; it adds those of ``publish``, ``gate`` and ``records``.
- ``publish``: ``pb:publish-contracts`` (``pact-broker publish``).
- ``gate``: ``pb:matrix`` and ``/can-i-deploy``, answered by ``ContractService.can_i_deploy``.
- ``records``: environments, pacticipants, versions with branches and tags, deployed and
  released versions.
- ``models``: the request bodies a broker client sends.
- ``selection``: pure: ``select`` (what consumer version selectors choose, as ``Chosen``),
  ``latest_per_consumer``, ``Lines`` (branches and tags the selectors read).
- ``matrix``: pure: the matrix query string (``parse``) and orgloop's verdict in its shape
  (``answer``).
- ``hal`` and ``hal_records``: the HAL documents answered and the links in them (``PREFIX``,
  ``Hal``).

Everything goes through ``contracts.service``; the package itself imports nothing.
"""
