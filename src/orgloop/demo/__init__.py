"""``make demo``: a small online shop on this machine, with orgloop watching over it.

``python -m orgloop.demo`` starts ``orgloop serve`` on a fresh data directory, then, each step
through the real HTTP API: imports the shop's teams and services (``shop``), publishes API versions
and asks can-i-deploy (``contracts``), creates flags and runs three experiments on simulated
customers who use the real SDK (``experiments``, ``traffic``), and prints the dashboard's URLs.
"""
