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
    sample: str = ""  # the sample output as printed (a Java map's toString for actions)


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
        if line.startswith("```") and not current.sample:
            current.sample = line.strip("`")
        elif line.startswith("#### Type:"):
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


def sample_shape(sample: str) -> dict[str, str]:
    """Top-level keys of a printed sample and the kind of each value: ``{"data": "list", ...}``."""
    shape: dict[str, str] = {}
    depth = 0
    key = ""
    reading_key = False
    for index, char in enumerate(sample):
        if char in "{[":
            if depth == 1 and key:
                shape[key] = "object" if char == "{" else "list"
                key = ""
            depth += 1
            if depth == 1:
                reading_key = True
            continue
        if char in "}]":
            depth -= 1
            continue
        if depth != 1:
            continue
        if char == "," and not reading_key:
            reading_key = True
            key = ""
        elif char == "=" and reading_key:
            reading_key = False
            following = sample[index + 1 : index + 2]
            if following not in ("{", "["):
                shape[key.strip()] = "scalar"
                key = ""
            else:
                key = key.strip()
        elif reading_key:
            key += char
    return shape
