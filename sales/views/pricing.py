"""Viewsets of the sales pricing resources."""


def register(router) -> None:
    """Register this group's routes (called by sales/urls.py, in order)."""
