"""Benchmarks: each prints a table and compares against a peer measured in the same run."""
