"""README.md's Python examples: every block compiles as a plain module (no top-level ``await``), and
the blocks fenced as ```` ```python runnable ```` run as pasted against a sandbox over a socket."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.S | re.M)


def python_blocks() -> list[tuple[int, str, str]]:
    """(line, info string, code) of every python block."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        info = match.group("info").strip()
        if info.split(" ")[0] in ("python", "py"):
            blocks.append((text[: match.start()].count("\n") + 1, info, match.group("body")))
    return blocks


BLOCKS = python_blocks()
RUNNABLE = [(line, code) for line, info, code in BLOCKS if "runnable" in info.split()]


def test_the_readme_has_python_examples_and_runnable_ones() -> None:
    assert len(BLOCKS) >= 10 and len(RUNNABLE) >= 2


@pytest.mark.parametrize(("line", "code"), [(line, code) for line, _, code in BLOCKS], ids=lambda v: str(v))
def test_every_python_example_compiles_as_pasted(line: int, code: str) -> None:
    try:
        compile(code, f"README.md:{line}", "exec")  # default flags: top-level await is a SyntaxError
    except SyntaxError as error:
        pytest.fail(f"README.md line {line + (error.lineno or 0)}: {error.msg}")


@pytest.mark.parametrize(("line", "code"), RUNNABLE, ids=lambda v: str(v))
def test_runnable_examples_run_against_a_sandbox(
    line: int, code: str, pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PIPEDRIVE_API_TOKEN": pipedrive_sandbox.api_token,
        "PIPEDRIVE_BASE_URL": pipedrive_sandbox.base_url,
        "PIPEDRIVE_COMPANY_DOMAIN": "",
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
    }
    script = tmp_path / f"readme_{line}.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, f"README.md line {line}:\n{done.stderr[-3000:]}"
