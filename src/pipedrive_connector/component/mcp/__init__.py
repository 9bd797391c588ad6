"""The component as an MCP server: every action a tool, reference data as resources.

```python
from pipedrive_connector.component.mcp import build_server

server = build_server(connection, read_only=False, page_size=100)   # an mcp.server.lowlevel.Server
```

Imports the ``mcp`` SDK; nothing else in the package imports this module (the CLI does, lazily).
"""

from pipedrive_connector.component.mcp.server import build_server, http_app, serve_stdio
from pipedrive_connector.component.mcp.tools import PAGE_SIZE, ActionTool, ToolKind, action_tools, tool_kind

__all__ = [
    "PAGE_SIZE",
    "ActionTool",
    "ToolKind",
    "action_tools",
    "build_server",
    "http_app",
    "serve_stdio",
    "tool_kind",
]
