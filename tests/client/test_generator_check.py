"""``scripts/generate_client.py --check`` passes on the committed code and fails when it is stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "generate_client.py"


def generate(shared_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), "--shared-dir", str(shared_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_committed_generated_code_is_up_to_date(shared_dir: Path) -> None:
    result = generate(shared_dir, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


@pytest.mark.slow
def test_check_detects_an_edit_a_missing_file_and_a_stray_file(shared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    assert generate(shared_dir, "--output", str(out)).returncode == 0
    assert generate(shared_dir, "--output", str(out), "--check").returncode == 0

    notes = out / "notes.py"
    original = notes.read_text(encoding="utf-8")
    notes.write_text(original.replace("Add a note", "Add a memo"), encoding="utf-8")
    edited = generate(shared_dir, "--output", str(out), "--check")
    assert edited.returncode == 1 and "stale" in edited.stdout and "notes.py" in edited.stdout

    notes.unlink()
    assert generate(shared_dir, "--output", str(out), "--check").returncode == 1

    notes.write_text(original, encoding="utf-8")
    (out / "leftover.py").write_text("", encoding="utf-8")
    assert generate(shared_dir, "--output", str(out), "--check").returncode == 1
    # Regenerating removes the stray module and the check passes again.
    assert generate(shared_dir, "--output", str(out)).returncode == 0
    assert not (out / "leftover.py").exists()
    assert generate(shared_dir, "--output", str(out), "--check").returncode == 0
