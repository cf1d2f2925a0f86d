"""The attribute names the traces slice reads from spans and resources (standard library only).

OpenTelemetry semantic-convention names where one exists; ``orgloop.*`` where orgloop defines its
own. Code outside the server (the SDK, tests, benchmarks) may import this module: it is pure.
"""

from __future__ import annotations

SERVICE_NAME = "service.name"
SERVICE_VERSION = "service.version"
DEPLOYMENT_ENVIRONMENT = ("deployment.environment.name", "deployment.environment")

#: One ``experiment=variant`` pair per experiment the request was assigned to, joined by commas
#: (a string array is read too). Set by ``orgloop.sdk`` on the server span of each request.
VARIANTS = "orgloop.variants"
#: The OpenTelemetry feature-flag namespace: ``feature_flag.<flag key>`` = variant, per flag seen.
FEATURE_FLAG_PREFIX = "feature_flag."

HTTP_ROUTE = "http.route"
RPC_SERVICE = "rpc.service"
RPC_METHOD = "rpc.method"

#: Peer attributes that name an uninstrumented server, first match wins: the connector's
#: ``virtual_node_peer_attributes`` defaults, then the messaging system and the address.
PEER_ATTRIBUTES = (
    "peer.service",
    "db.name",
    "db.system",
    "messaging.system",
    "server.address",
    "net.peer.name",
)
#: Attributes that name the database a CLIENT span talks to (the connector's
#: ``database_name_attributes``; ``db.namespace`` is the newer semantic-convention name).
DATABASE_NAME_ATTRIBUTES = ("db.name", "db.namespace")

#: A span attribute with the probability (0, 1] with which the span was sampled; read when the
#: W3C tracestate has no ``ot=th:`` threshold.
SAMPLING_PROBABILITY = "sampling.probability"

#: The catalog annotation naming the ``service.name`` a Component reports when it differs.
SERVICE_NAME_ANNOTATION = "orgloop.dev/service-name"
