"""Pydantic v2 models of Pipedrive objects: API v2 shapes, and the legacy API v1 shapes (``*V1``).

Every model allows extra keys, so nothing a real account returns is dropped (custom-field hashes at
the root of v1 objects, fields Pipedrive adds later). Timestamps parse into aware ``datetime``s where
they can; a value that does not parse stays a string instead of failing the whole object.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr


def _lenient_time(value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        # v1 timestamps ("2019-05-29 04:21:51") are UTC without an offset.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _lenient_date(value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


Timestamp = Annotated[datetime | str | None, BeforeValidator(_lenient_time)]
DateValue = Annotated[date | str | None, BeforeValidator(_lenient_date)]


class PipedriveModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        """All fields, extra ones included, as JSON-compatible values."""
        return self.model_dump(mode="json")


# -- API v2 entities ------------------------------------------------------------------------


class Deal(PipedriveModel):
    id: int
    title: str | None = None
    owner_id: int | None = None
    creator_user_id: int | None = None
    person_id: int | None = None
    org_id: int | None = None
    pipeline_id: int | None = None
    stage_id: int | None = None
    value: float | None = None
    currency: str | None = None
    status: str | None = None
    probability: float | None = None
    lost_reason: str | None = None
    visible_to: int | None = None
    label_ids: list[int] = Field(default_factory=list)
    is_deleted: bool | None = None
    is_archived: bool | None = None
    expected_close_date: DateValue = None
    add_time: Timestamp = None
    update_time: Timestamp = None
    stage_change_time: Timestamp = None
    close_time: Timestamp = None
    won_time: Timestamp = None
    lost_time: Timestamp = None
    origin: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class ContactInfo(PipedriveModel):
    value: str | None = None
    primary: bool | None = None
    label: str | None = None


class Person(PipedriveModel):
    id: int
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    owner_id: int | None = None
    org_id: int | None = None
    emails: list[ContactInfo] = Field(default_factory=list)
    phones: list[ContactInfo] = Field(default_factory=list)
    visible_to: int | None = None
    label_ids: list[int] = Field(default_factory=list)
    is_deleted: bool | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class Organization(PipedriveModel):
    id: int
    name: str | None = None
    owner_id: int | None = None
    address: dict[str, Any] | None = None
    visible_to: int | None = None
    label_ids: list[int] = Field(default_factory=list)
    is_deleted: bool | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class Activity(PipedriveModel):
    id: int
    subject: str | None = None
    type: str | None = None
    owner_id: int | None = None
    deal_id: int | None = None
    lead_id: str | None = None
    person_id: int | None = None
    org_id: int | None = None
    due_date: DateValue = None
    due_time: str | None = None
    duration: str | None = None
    done: bool | None = None
    busy: bool | None = None
    note: str | None = None
    public_description: str | None = None
    is_deleted: bool | None = None
    participants: list[dict[str, Any]] = Field(default_factory=list)
    add_time: Timestamp = None
    update_time: Timestamp = None


class Pipeline(PipedriveModel):
    id: int
    name: str | None = None
    order_nr: int | None = None
    is_deleted: bool | None = None
    is_deal_probability_enabled: bool | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None


class Stage(PipedriveModel):
    id: int
    name: str | None = None
    pipeline_id: int | None = None
    order_nr: int | None = None
    deal_probability: int | None = None
    is_deal_rot_enabled: bool | None = None
    days_to_rotten: int | None = None
    is_deleted: bool | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None


class SearchHit(PipedriveModel):
    """One search result: ``item`` is the found object's summary (``item["type"]`` says which kind)."""

    result_score: float | None = None
    item: dict[str, Any] = Field(default_factory=dict)

    @property
    def id(self) -> Any:
        return self.item.get("id")

    @property
    def type(self) -> str | None:
        value = self.item.get("type")
        return str(value) if value is not None else None


# -- API v1 entities (current v1 endpoints) -------------------------------------------------


class LeadValue(PipedriveModel):
    amount: float | None = None
    currency: str | None = None


class Lead(PipedriveModel):
    id: str
    title: str | None = None
    owner_id: int | None = None
    creator_id: int | None = None
    label_ids: list[str] = Field(default_factory=list)
    person_id: int | None = None
    organization_id: int | None = None
    value: LeadValue | None = None
    expected_close_date: DateValue = None
    is_archived: bool | None = None
    was_seen: bool | None = None
    source_name: str | None = None
    origin: str | None = None
    visible_to: str | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None


class LeadLabel(PipedriveModel):
    id: str
    name: str | None = None
    color: str | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None


class User(PipedriveModel):
    id: int
    name: str | None = None
    email: str | None = None
    active_flag: bool | None = None
    is_admin: int | bool | None = None
    default_currency: str | None = None
    locale: str | None = None
    timezone_name: str | None = None
    company_id: int | None = None
    company_name: str | None = None
    company_domain: str | None = None
    is_you: bool | None = None


class Filter(PipedriveModel):
    id: int
    name: str | None = None
    type: str | None = None
    active_flag: bool | None = None
    user_id: int | None = None
    visible_to: str | int | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None


class Currency(PipedriveModel):
    id: int | None = None
    code: str
    name: str | None = None
    decimal_points: int | None = None
    symbol: str | None = None
    active_flag: bool | None = None
    is_custom_flag: bool | None = None


class FieldOption(PipedriveModel):
    id: int | str
    label: str | None = None
    color: str | None = None


class FieldDefinition(PipedriveModel):
    """A field of deals, persons or organizations (v1 ``*Fields``); custom ones have a 40-hex ``key``."""

    id: int | None = None
    key: str
    name: str
    field_type: str
    options: list[FieldOption] | None = None
    edit_flag: bool | None = None
    active_flag: bool | None = None
    mandatory_flag: bool | Any = None

    @property
    def is_custom(self) -> bool:
        return bool(self.edit_flag) or _looks_like_hash(self.key)


def _looks_like_hash(key: str) -> bool:
    return len(key) == 40 and all(c in "0123456789abcdef" for c in key)


class Webhook(PipedriveModel):
    id: int
    event_action: str | None = None
    event_object: str | None = None
    subscription_url: str | None = None
    version: str | None = None
    is_active: bool | int | None = None
    user_id: int | None = None
    owner_id: int | None = None
    name: str | None = None
    type: str | None = None
    http_auth_user: str | None = None
    http_auth_password: SecretStr | None = None
    add_time: Timestamp = None
    last_delivery_time: Timestamp = None
    last_http_status: int | None = None


class WebhookMeta(PipedriveModel):
    """``meta`` of a webhook payload: v2 names, with v1 names accepted as extras (``object``, ``v``)."""

    action: str | None = None
    entity: str | None = None
    entity_id: str | int | None = None
    id: str | int | None = None
    company_id: str | int | None = None
    user_id: str | int | None = None
    webhook_id: str | int | None = None
    version: str | None = None
    attempt: int | None = None
    timestamp: Timestamp | int = None
    change_source: str | None = None
    correlation_id: str | None = None


class WebhookEvent(PipedriveModel):
    """A webhook body. v2: ``meta``, ``data``, ``previous``; v1: ``current``, ``previous``, ``event``."""

    meta: WebhookMeta = Field(default_factory=WebhookMeta)
    data: dict[str, Any] | list[Any] | None = None
    previous: dict[str, Any] | list[Any] | None = None
    current: dict[str, Any] | list[Any] | None = None
    event: str | None = None

    @property
    def is_v1(self) -> bool:
        return self.event is not None or "v" in (self.model_extra or {})


# -- legacy API v1 entity shapes (deprecated endpoints, ``pd.deals.v1``) ---------------------


class RelatedRef(PipedriveModel):
    """An expanded v1 reference such as ``user_id: {"id": 1, "name": ..., "value": 1}``."""

    value: int | None = None
    name: str | None = None


RefOrId = RelatedRef | int | None


def ref_id(ref: RefOrId) -> int | None:
    """The id inside a v1 reference, expanded or not."""
    if isinstance(ref, RelatedRef):
        return ref.value
    return ref


class DealV1(PipedriveModel):
    id: int
    title: str | None = None
    user_id: RefOrId = None
    person_id: RefOrId = None
    org_id: RefOrId = None
    pipeline_id: int | None = None
    stage_id: int | None = None
    value: float | str | None = None
    currency: str | None = None
    status: str | None = None
    label: str | None = None
    visible_to: str | None = None
    active: bool | None = None
    deleted: bool | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None


class PersonV1(PipedriveModel):
    id: int
    name: str | None = None
    owner_id: RefOrId = None
    org_id: RefOrId = None
    email: list[ContactInfo] | str | None = None
    phone: list[ContactInfo] | str | None = None
    active_flag: bool | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None


class OrganizationV1(PipedriveModel):
    id: int
    name: str | None = None
    owner_id: RefOrId = None
    address: str | None = None
    active_flag: bool | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None


class ActivityV1(PipedriveModel):
    id: int
    subject: str | None = None
    type: str | None = None
    user_id: int | None = None
    deal_id: int | None = None
    person_id: int | None = None
    org_id: int | None = None
    due_date: DateValue = None
    due_time: str | None = None
    done: bool | int | None = None
    add_time: Timestamp = None
    update_time: Timestamp = None
