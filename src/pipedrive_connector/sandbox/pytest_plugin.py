"""pytest plugin (registered through the ``pytest11`` entry point): sandbox fixtures for any test suite."""

from __future__ import annotations
