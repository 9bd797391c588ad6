"""pipedrive_connector.client: typed sync and async Pipedrive client over httpx.

from pipedrive_connector.client import Pipedrive
with Pipedrive(api_token="...", company_domain="acme") as pd:
    for deal in pd.deals.iterate(status="open"):
        ...
"""

from pipedrive_connector.client import catalog, errors, models, params
from pipedrive_connector.client._async import AsyncPipedrive
from pipedrive_connector.client._core import Usage
from pipedrive_connector.client._retry import RetryEvent
from pipedrive_connector.client._sync import Pipedrive
from pipedrive_connector.client._types import UNSET, ApiVersion
from pipedrive_connector.client.auth import ApiTokenAuth
from pipedrive_connector.client.custom_fields import DateRange, FieldMap, Money
from pipedrive_connector.client.errors import (
    AmbiguousWriteError,
    ConfigurationError,
    DailyBudgetExhausted,
    PipedriveError,
    RateLimited,
)
from pipedrive_connector.client.pagination import AsyncPage, Page

__all__ = [
    "UNSET",
    "AmbiguousWriteError",
    "ApiTokenAuth",
    "ApiVersion",
    "AsyncPage",
    "AsyncPipedrive",
    "ConfigurationError",
    "DailyBudgetExhausted",
    "DateRange",
    "FieldMap",
    "Money",
    "Page",
    "Pipedrive",
    "PipedriveError",
    "RateLimited",
    "RetryEvent",
    "Usage",
    "catalog",
    "errors",
    "models",
    "params",
]
