"""Viewsets of the sales organisation resources."""


def register(router) -> None:
    """Register this group's routes (called by sales/urls.py, in order)."""
