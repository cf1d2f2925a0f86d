"""Contracts: API versions and their OpenAPI documents, breaking-change detection, consumer
contracts (Pact and light), verifications, deployments, can-i-deploy, deprecation and sunset.

Other slices use ``service``, ``models`` and ``errors`` only; README.md maps the rooms.
"""
