"""What each benchmark hands back, and the JSON file a run writes."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "skipped", "failed"]


class Skipped(Exception):
    """A benchmark cannot run yet because a piece is missing; the message says which."""


@dataclass
class Target:
    name: str
    goal: str
    met: bool | None  # None: not measurable in this run
    detail: str = ""


@dataclass
class Section:
    key: str
    title: str
    status: Status = "ok"
    reason: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def add_row(self, *cells: Any) -> None:
        if self.columns and len(cells) != len(self.columns):
            raise ValueError(f"row has {len(cells)} cells, table {self.key} has {len(self.columns)} columns")
        self.rows.append(list(cells))


@dataclass
class Run:
    command: str
    quick: bool
    started_at: str
    machine: dict[str, Any]
    sections: list[Section] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def write_json(run: Run, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(run.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_json(path: Path) -> dict[str, Any]:
    loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} does not hold a benchmark run")
    return loaded
