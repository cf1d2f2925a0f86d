"""orgloop: who owns what, can it ship alone, and is the idea working."""

__version__ = "0.1.0"
