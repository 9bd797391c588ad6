"""Where each resource lives: the API version Pipedrive serves it on today, its model and paging.

v2 for deals, persons, organizations, activities, pipelines, stages and search; v1 for leads CRUD,
lead labels, users, filters, currencies, fields and webhooks. The ``LEGACY`` table holds the
deprecated v1 endpoints of deals, persons, organizations and activities (``pd.deals.v1``).
"""

from __future__ import annotations

from pipedrive_connector.client._ops import ResourceSpec
from pipedrive_connector.client.models import (
    Activity,
    ActivityV1,
    Currency,
    Deal,
    DealV1,
    FieldDefinition,
    Filter,
    Lead,
    LeadLabel,
    Organization,
    OrganizationV1,
    Person,
    PersonV1,
    Pipeline,
    SearchHit,
    Stage,
    User,
    Webhook,
)

DEALS = ResourceSpec("deals", "/api/v2/deals", Deal, search_path="/api/v2/deals/search", fields_entity="deal")
PERSONS = ResourceSpec(
    "persons", "/api/v2/persons", Person, search_path="/api/v2/persons/search", fields_entity="person"
)
ORGANIZATIONS = ResourceSpec(
    "organizations",
    "/api/v2/organizations",
    Organization,
    search_path="/api/v2/organizations/search",
    fields_entity="organization",
)
ACTIVITIES = ResourceSpec("activities", "/api/v2/activities", Activity)
PIPELINES = ResourceSpec("pipelines", "/api/v2/pipelines", Pipeline)
STAGES = ResourceSpec("stages", "/api/v2/stages", Stage)

LEADS = ResourceSpec(
    "leads",
    "/v1/leads",
    Lead,
    paging="offset",
    search_path="/api/v2/leads/search",
    fields_entity="deal",  # leads carry the deal custom fields
    custom_fields_style="v1",
    id_kind="uuid",
)
LEAD_LABELS = ResourceSpec(
    "lead labels", "/v1/leadLabels", LeadLabel, paging="none", page_size=None, id_kind="uuid"
)
USERS = ResourceSpec("users", "/v1/users", User, paging="none", page_size=None)
FILTERS = ResourceSpec("filters", "/v1/filters", Filter, paging="none", page_size=None, update_method="PUT")
CURRENCIES = ResourceSpec("currencies", "/v1/currencies", Currency, paging="none", page_size=None)
DEAL_FIELDS = ResourceSpec(
    "deal fields", "/v1/dealFields", FieldDefinition, paging="offset", fields_entity="deal"
)
PERSON_FIELDS = ResourceSpec(
    "person fields", "/v1/personFields", FieldDefinition, paging="offset", fields_entity="person"
)
ORGANIZATION_FIELDS = ResourceSpec(
    "organization fields",
    "/v1/organizationFields",
    FieldDefinition,
    paging="offset",
    fields_entity="organization",
)
WEBHOOKS = ResourceSpec("webhooks", "/v1/webhooks", Webhook, paging="none", page_size=None)
ITEM_SEARCH = ResourceSpec("items", "/api/v2/itemSearch", SearchHit, search_path="/api/v2/itemSearch")

DEALS_V1 = ResourceSpec(
    "deals (v1)",
    "/v1/deals",
    DealV1,
    paging="offset",
    update_method="PUT",
    fields_entity="deal",
    custom_fields_style="v1",
)
PERSONS_V1 = ResourceSpec(
    "persons (v1)",
    "/v1/persons",
    PersonV1,
    paging="offset",
    update_method="PUT",
    fields_entity="person",
    custom_fields_style="v1",
)
ORGANIZATIONS_V1 = ResourceSpec(
    "organizations (v1)",
    "/v1/organizations",
    OrganizationV1,
    paging="offset",
    update_method="PUT",
    fields_entity="organization",
    custom_fields_style="v1",
)
ACTIVITIES_V1 = ResourceSpec(
    "activities (v1)", "/v1/activities", ActivityV1, paging="offset", update_method="PUT"
)

# The client attributes served by the hand-made resources above; the generated resource of the same name
# (``pd.api.deals``) backs them: an operation they do not define is looked up there (``pd.deals.duplicate``).
HAND_MADE_RESOURCES = frozenset(
    {
        "deals",
        "persons",
        "organizations",
        "activities",
        "leads",
        "lead_labels",
        "users",
        "pipelines",
        "stages",
        "filters",
        "currencies",
        "deal_fields",
        "person_fields",
        "organization_fields",
        "webhooks",
        "item_search",
    }
)
