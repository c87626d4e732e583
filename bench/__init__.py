"""Benchmark of the client list (see bench/README.md)."""
