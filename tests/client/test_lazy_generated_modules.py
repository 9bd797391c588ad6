"""A generated resource's module is imported when the resource is first used, not with the client
(building every module's models costs about half a second)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from pipedrive_connector.client import AsyncPipedrive, Pipedrive

def loaded():
    prefix = "pipedrive_connector.client.generated."
    names = [m[len(prefix):] for m in sys.modules if m.startswith(prefix)]
    return sorted(n for n in names if n != "_operations")

pd = Pipedrive(api_token="a" * 40, base_url="http://127.0.0.1:9")
apd = AsyncPipedrive(api_token="a" * 40, base_url="http://127.0.0.1:9")
print(loaded())
notes = pd.notes
print(loaded(), notes is pd.notes is pd.api.notes, type(apd.notes).__name__)
pd.deals.duplicate  # a hand-made resource's fallback on the generated one
print(loaded(), "products" in dir(pd.api))
try:
    pd.api.nope
except AttributeError as error:
    print(error)
"""


def test_generated_modules_load_on_first_use() -> None:
    command = [sys.executable, "-c", CHECK]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    lines = done.stdout.splitlines()
    assert lines[0] == "[]"
    assert lines[1] == "['notes'] True AsyncNotes"
    assert lines[2] == "['deals', 'notes'] True"
    assert lines[3] == "'GeneratedApi' object has no attribute 'nope'"
