"""Adapters that drive Pipedrive SDKs from PyPI against the sandbox (run by the peers' virtualenv).

Nothing in this package may import third-party code at import time: the adapters run under
``benchmarks/.peers-venv``, which has only the peers and their dependencies.
"""
