"""Experiments: exposure and event collection, metric definitions and their analysis in the database."""
