"""Offline evaluation: metrics, the leave-last-out split, datasets, and the `evaluate` command.

Kept apart from serving code: nothing here is imported by the service.
"""
