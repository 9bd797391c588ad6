"""Pipedrive triggers: webhook payload parsing, trigger definitions, the durable receiver and polling."""

from pipedrive_connector.triggers.app import TriggerApp, resolve_trigger
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
from pipedrive_connector.triggers.lifecycle import TriggerSetupError, WebhookLimitError
from pipedrive_connector.triggers.poller import PollingNotSupported
from pipedrive_connector.triggers.receiver import Receiver, ReceiverApp
from pipedrive_connector.triggers.state_lock import StateInUse

__all__ = [
    "ACTIONS",
    "ALL_TRIGGERS",
    "DELETED_TRIGGERS",
    "FIELD_CHANGED",
    "TRIGGERS",
    "Event",
    "FieldChangeTrigger",
    "PollingNotSupported",
    "Receiver",
    "ReceiverApp",
    "StateInUse",
    "TriggerApp",
    "TriggerDefinition",
    "TriggerSetupError",
    "UnknownTriggerError",
    "WebhookLimitError",
    "WebhookParseError",
    "content_key",
    "field_change_trigger",
    "get_trigger",
    "parse_webhook",
    "resolve_trigger",
]
