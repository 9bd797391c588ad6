"""pipedrive-connector: run Pipedrive actions, react to its events, develop and test offline."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
