"""The peers' virtualenv (``benchmarks/.peers-venv``): Pipedrive SDKs from PyPI, kept out of the project."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import Skipped

VENV = Path(__file__).resolve().parent / ".peers-venv"
REQUIREMENTS = ("pipedrive-python-lib==1.2.3", "pypipedrive-client==1.0.2")


@dataclass(frozen=True)
class Peer:
    name: str  # the PyPI distribution (and the variant, when one SDK is measured two ways)
    module: str  # the adapter module, run with the peers' python
    floor: str  # the raw-httpx implementation over the same endpoint
    api: str
    read_op: str = "read"


PEERS = (
    Peer(
        "pipedrive-python-lib", "benchmarks.peers.pipedrive_python_lib", "raw-v1", "GET /v1/deals start/limit"
    ),
    Peer("pypipedrive-client", "benchmarks.peers.pypipedrive_client", "raw-v2", "GET /api/v2/deals cursor"),
    Peer(
        "pypipedrive-client (Api.iterator)",
        "benchmarks.peers.pypipedrive_client",
        "raw-v2",
        "GET /api/v2/deals cursor, pages only",
        read_op="read-pages",
    ),
)


def venv_python() -> Path:
    return VENV / "bin" / "python"


def base_interpreter() -> str:
    """The interpreter the peers' virtualenv is built from.

    pypipedrive-client 1.0.2 uses PEP 701 f-strings (nested quotes), so it needs Python 3.12 or
    newer. The first working 3.12+ interpreter found (on PATH, then under pyenv) is used, else this
    one (and that peer then fails to import, which the report shows).
    """
    candidates = [shutil.which(name) for name in ("python3.12", "python3.13", "python3.14")]
    candidates += [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3"))]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    return sys.executable


def interpreter_version(python: Path) -> str:
    try:
        out = subprocess.run(
            [str(python), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (out.stdout or out.stderr).strip()


def ensure(progress: Callable[[str], None]) -> Path:
    """Create the virtualenv and install the peers once; Skipped with the reason when that fails."""
    marker = VENV / "bench-requirements.json"
    python = venv_python()
    if python.exists() and marker.exists() and json.loads(marker.read_text()) == list(REQUIREMENTS):
        return python
    progress(f"creating {VENV.name} and installing {', '.join(REQUIREMENTS)} from PyPI")
    try:
        if not python.exists():
            subprocess.run(
                [base_interpreter(), "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=180
            )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS],
            check=True,
            capture_output=True,
            timeout=600,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "").strip().splitlines()[-1:] if isinstance(exc.stderr, str) else []
        raise Skipped(
            f"peer SDKs could not be installed into {VENV.name}: {' '.join(detail) or exc}"
        ) from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Skipped(f"peer SDKs could not be installed into {VENV.name}: {exc}") from exc
    marker.write_text(json.dumps(list(REQUIREMENTS)))
    return python
