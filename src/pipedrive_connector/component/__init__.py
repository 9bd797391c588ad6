"""The Pipedrive component: connections, actions and triggers as data, a manifest and a runner.

```python
from pipedrive_connector.component import Component, Connection

component = Component()
component.manifest()
component.run("getDeals", {"status": "open"}, Connection.api_key("...", base_url="http://127.0.0.1:8000"))
```
"""

from pipedrive_connector.component.component import Component
from pipedrive_connector.component.connection import CONNECTIONS, Connection, ConnectionTest
from pipedrive_connector.component.context import ActionContext, ApiVersion
from pipedrive_connector.component.errors import (
    ComponentError,
    ConnectionConfigError,
    UnknownActionError,
    ValidationError,
)
from pipedrive_connector.component.model import (
    Action,
    ControlType,
    Option,
    OptionsLoaderRef,
    Property,
    PropertyType,
)

__all__ = [
    "CONNECTIONS",
    "Action",
    "ActionContext",
    "ApiVersion",
    "Component",
    "ComponentError",
    "Connection",
    "ConnectionConfigError",
    "ConnectionTest",
    "ControlType",
    "Option",
    "OptionsLoaderRef",
    "Property",
    "PropertyType",
    "UnknownActionError",
    "ValidationError",
]
