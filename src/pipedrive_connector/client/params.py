"""Typed request parameters (``TypedDict``s) for the main resources' filters and fields.

They type the keyword arguments of ``pd.deals.list(...)``, ``pd.deals.add(...)`` and friends, so an
editor or mypy catches ``statuz="open"``. Every field is optional; on updates a field may be
``UNSET`` (leave unchanged) or ``None`` (clear it). Names and meanings follow Pipedrive's API v2
spec (v1 for leads).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal, TypedDict

from pipedrive_connector.client._types import Unset

SortDirection = Literal["asc", "desc"]
Ids = Sequence[int] | str
When = datetime | str
Day = date | str


class _CursorParams(TypedDict, total=False):
    limit: int
    cursor: str
    sort_by: str
    sort_direction: SortDirection
    updated_since: When
    updated_until: When
    ids: Ids
    filter_id: int
    owner_id: int
    include_fields: Sequence[str] | str
    custom_fields: Sequence[str] | str


class DealListParams(_CursorParams, total=False):
    person_id: int
    org_id: int
    pipeline_id: int
    stage_id: int
    status: str | Sequence[str]
    include_option_labels: bool
    include_labels: bool


class PersonListParams(_CursorParams, total=False):
    org_id: int
    deal_id: int
    include_option_labels: bool
    include_labels: bool


class OrganizationListParams(_CursorParams, total=False):
    include_option_labels: bool
    include_labels: bool


class ActivityListParams(_CursorParams, total=False):
    deal_id: int
    lead_id: str
    person_id: int
    org_id: int
    done: bool


class LeadListParams(TypedDict, total=False):
    limit: int
    start: int
    owner_id: int
    person_id: int
    organization_id: int
    filter_id: int
    updated_since: When
    sort: str


class DealFields(TypedDict, total=False):
    title: str | Unset
    owner_id: int | Unset | None
    person_id: int | Unset | None
    org_id: int | Unset | None
    pipeline_id: int | Unset
    stage_id: int | Unset
    value: float | Unset
    currency: str | Unset
    status: Literal["open", "won", "lost"] | Unset
    probability: float | Unset | None
    lost_reason: str | Unset | None
    visible_to: int | Unset
    close_time: When | Unset | None
    won_time: When | Unset | None
    lost_time: When | Unset | None
    expected_close_date: Day | Unset | None
    label_ids: Sequence[int] | Unset
    is_archived: bool | Unset
    archive_time: When | Unset | None
    add_time: When | Unset


class ContactField(TypedDict, total=False):
    value: str
    primary: bool
    label: str


class PersonFields(TypedDict, total=False):
    name: str | Unset
    first_name: str | Unset
    last_name: str | Unset
    owner_id: int | Unset | None
    org_id: int | Unset | None
    emails: Sequence[ContactField] | Unset
    phones: Sequence[ContactField] | Unset
    visible_to: int | Unset
    label_ids: Sequence[int] | Unset
    marketing_status: str | Unset
    add_time: When | Unset


class OrganizationFields(TypedDict, total=False):
    name: str | Unset
    owner_id: int | Unset | None
    address: dict[str, Any] | Unset | None
    visible_to: int | Unset
    label_ids: Sequence[int] | Unset
    website: str | Unset | None
    linkedin: str | Unset | None
    industry: str | Unset | None
    annual_revenue: float | Unset | None
    employee_count: int | Unset | None
    add_time: When | Unset


class ActivityFields(TypedDict, total=False):
    subject: str | Unset
    type: str | Unset
    owner_id: int | Unset
    deal_id: int | Unset | None
    lead_id: str | Unset | None
    person_id: int | Unset | None
    org_id: int | Unset | None
    due_date: Day | Unset | None
    due_time: str | Unset | None
    duration: str | Unset | None
    busy: bool | Unset
    done: bool | Unset
    location: dict[str, Any] | Unset | None
    participants: Sequence[dict[str, Any]] | Unset
    attendees: Sequence[dict[str, Any]] | Unset
    public_description: str | Unset | None
    priority: int | Unset | None
    note: str | Unset | None


class LeadValueField(TypedDict):
    amount: float
    currency: str


class LeadFields(TypedDict, total=False):
    title: str | Unset
    owner_id: int | Unset
    label_ids: Sequence[str] | Unset
    person_id: int | Unset | None
    organization_id: int | Unset | None
    value: LeadValueField | Unset | None
    expected_close_date: Day | Unset | None
    visible_to: str | Unset
    was_seen: bool | Unset
    is_archived: bool | Unset
    origin_id: str | Unset | None
    channel: int | Unset | None
    channel_id: str | Unset | None
