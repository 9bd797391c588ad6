"""Helpers for the console's browser tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SCREENSHOTS = os.environ.get("PIPEDRIVE_CONSOLE_SCREENSHOTS", "")


def screenshot(page: Any, name: str) -> None:
    """Save ``docs/img/<name>.png`` when screenshots were asked for."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=False)
