"""Benchmarks and fault drills for pipedrive-connector: ``python -m benchmarks all [--quick]``.

This package file stays free of third-party imports: the peer adapters run under a separate
virtual environment and import ``benchmarks.probe`` from it.
"""
