"""Tools for developing orgloop that are not part of the package (import-linter contract types)."""
