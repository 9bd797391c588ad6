"""A local Pipedrive-compatible API server: the offline default and the test bed.

from pipedrive_connector.sandbox import SandboxSettings, create_app, run_sandbox
"""

from pipedrive_connector.sandbox.app import create_app
from pipedrive_connector.sandbox.server import RunningSandbox, run_sandbox
from pipedrive_connector.sandbox.settings import SandboxSettings

__all__ = ["RunningSandbox", "SandboxSettings", "create_app", "run_sandbox"]
