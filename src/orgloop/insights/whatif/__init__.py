"""What-if re-organisation: scenario files (``scenario``), the simulation of work flowing through
teams (``simulation``, SimPy) and today against the scenario side by side (``compare``).

Exports ``what_if`` (the report) and ``snapshot`` (one organisation's numbers). Pure: no IO.
"""

from orgloop.insights.whatif.compare import snapshot, what_if

__all__ = ["snapshot", "what_if"]
