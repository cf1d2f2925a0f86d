"""``make demo``: a small online shop on this machine, with orgloop watching over it.

``python -m orgloop.demo`` starts ``orgloop serve`` on a fresh data directory, then, each step
through the real HTTP API: imports the shop's teams and services (``shop``), publishes API versions,
records deployments and asks can-i-deploy (``contracts``, ``fleet``), creates flags and three
experiments (``experiments``), starts ten of the shop's services as processes of their own
(``fleet``, ``service``, ``routes``: FastAPI apps with the SDK and its OpenTelemetry set-up), sends
the simulated customers' history through the SDK and every customer through the storefront over
HTTP on its simulated day, the moment carried as W3C baggage (``traffic``, ``visits``), and prints
the analysis, the service graph and the insights' findings (``findings``) and the dashboard's
URLs. ``docs/demo.md`` explains the simulated time and the traffic's speed.
"""
