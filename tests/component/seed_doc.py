"""A small parser of the seed document (the component's founding markdown), for fidelity tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
ROW = re.compile(r"^\|(.+)\|\s*$")


@dataclass
class SeedItem:
    title: str
    section: str
    description: str = ""
    type: str | None = None  # triggers: "DYNAMIC_WEBHOOK"
    properties: list[tuple[str, str, str]] = field(default_factory=list)  # (label, type, control type)


def seed_path() -> Path:
    return HERE / "data" / "pipedrive-component.md"


def parse_seed(text: str) -> dict[str, list[SeedItem]]:
    sections: dict[str, list[SeedItem]] = {}
    section = ""
    current: SeedItem | None = None
    in_inputs = False
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            sections.setdefault(section, [])
            current = None
            continue
        if line.startswith("### "):
            title = line[4:].strip()
            if title == "Output":
                in_inputs = False
                continue
            current = SeedItem(title, section)
            sections[section].append(current)
            in_inputs = False
            continue
        if current is None:
            continue
        if line.startswith("#### Type:"):
            current.type = line.split(":", 1)[1].strip()
        elif line.startswith("#### Properties"):
            in_inputs = True
        elif in_inputs and ROW.match(line):
            cells = [c.strip() for c in ROW.match(line).group(1).split("|")]  # type: ignore[union-attr]
            if len(cells) == 3 and cells[0] != "Name" and not cells[0].startswith(":"):
                current.properties.append((cells[0], cells[1], cells[2]))
        elif not line.startswith("#") and line.strip() and not current.description and not in_inputs:
            current.description = line.strip()
    return sections
