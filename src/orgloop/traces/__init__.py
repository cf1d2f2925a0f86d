"""Traces: the OTLP receiver, span storage and the runtime service graph (see README.md)."""
