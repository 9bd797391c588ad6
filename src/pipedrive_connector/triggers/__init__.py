"""Pipedrive triggers: webhook payload parsing, trigger definitions, the durable receiver and polling."""

from pipedrive_connector.triggers.definitions import (
    ALL_TRIGGERS,
    DELETED_TRIGGERS,
    FIELD_CHANGED,
    TRIGGERS,
    FieldChangeTrigger,
    TriggerDefinition,
    UnknownTriggerError,
    field_change_trigger,
    get_trigger,
)
from pipedrive_connector.triggers.events import ACTIONS, Event, WebhookParseError, content_key, parse_webhook

__all__ = [
    "ACTIONS",
    "ALL_TRIGGERS",
    "DELETED_TRIGGERS",
    "FIELD_CHANGED",
    "TRIGGERS",
    "Event",
    "FieldChangeTrigger",
    "TriggerDefinition",
    "UnknownTriggerError",
    "WebhookParseError",
    "content_key",
    "field_change_trigger",
    "get_trigger",
    "parse_webhook",
]
