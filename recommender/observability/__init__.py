"""Operational metrics of the recommender (Prometheus), exposed by the action server."""
