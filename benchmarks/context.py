"""Run-wide settings handed to every benchmark."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


@dataclass
class Context:
    quick: bool = True
    reps: int = 3
    peers: bool = True
    started: float = field(default_factory=time.monotonic)

    def progress(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)

    def scaled(self, full: int, quick: int) -> int:
        return quick if self.quick else full
