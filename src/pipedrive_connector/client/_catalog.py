"""Where each hand-made resource lives: its model, paging, update verb and search, read off the
generated operation table (``generated/_operations.py``), which the specs define once.

``derived("getDeals", Deal, fields_entity="deal")`` takes the path, paging and page size of the list
operation, the update verb and id kind of the operations on one item (``/deals/{id}``), and the
resource's ``search`` operation; what is written here by hand is only what Pipedrive's rules add: the
model (custom fields by name) and the entity whose fields define the custom fields. The ``*_V1`` specs
are the deprecated v1 endpoints of deals, persons, organizations and activities (``pd.deals.v1``): the
current specs dropped them, so the table does not know them and they stay written out.
"""

from __future__ import annotations

from typing import TypeVar

from pipedrive_connector.client._generated import Operation
from pipedrive_connector.client._ops import ResourceSpec
from pipedrive_connector.client.errors import ConfigurationError
from pipedrive_connector.client.generated._operations import OPERATIONS
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
    PipedriveModel,
    Pipeline,
    SearchHit,
    Stage,
    User,
    Webhook,
)

M = TypeVar("M", bound=PipedriveModel)


def item_operations(listing: Operation) -> list[Operation]:
    """The operations on one item of ``listing``'s collection (``/deals`` -> ``/deals/{id}``)."""
    depth = listing.path.count("/") + 1
    prefix = listing.path + "/{"
    return [op for op in OPERATIONS.values() if op.path.startswith(prefix) and op.path.count("/") == depth]


def derived(
    list_operation: str,
    model: type[M],
    *,
    search: str | None = None,
    fields_entity: str | None = None,
) -> ResourceSpec[M]:
    """The spec of the resource listed by ``list_operation`` (a key of the table). ``search`` names
    the search operation when it is not the resource's ``search`` method (``searchItem``)."""
    listing = OPERATIONS[list_operation]
    resource = listing.python_name.split(".")[0]
    items = item_operations(listing)
    update = next((op for op in items if op.method in ("PATCH", "PUT")), None)
    kinds = {p.kind for op in items for p in op.params if p.where == "path"}
    if len(kinds) > 1 or not kinds <= {"integer", "uuid"}:
        raise ConfigurationError(f"{list_operation}: its items have ids of kinds {sorted(kinds)}")
    if search is None:
        searching = next((op for op in OPERATIONS.values() if op.python_name == f"{resource}.search"), None)
    else:
        searching = OPERATIONS[search]
    return ResourceSpec(
        resource.replace("_", " "),
        listing.path,
        model,
        paging=listing.paging,
        page_size=listing.page_size,
        update_method="PUT" if update is not None and update.method == "PUT" else "PATCH",
        search_path=searching.path if searching else None,
        search_paging=searching.paging if searching else "cursor",
        search_page_size=(searching.page_size if searching else None) or 100,
        fields_entity=fields_entity,
        custom_fields_style=listing.api,
        id_kind="uuid" if kinds == {"uuid"} else "integer",
    )


DEALS = derived("getDeals", Deal, fields_entity="deal")
PERSONS = derived("getPersons", Person, fields_entity="person")
ORGANIZATIONS = derived("getOrganizations", Organization, fields_entity="organization")
ACTIVITIES = derived("getActivities", Activity)
PIPELINES = derived("getPipelines", Pipeline)
STAGES = derived("getStages", Stage)
LEADS = derived("getLeads", Lead, fields_entity="deal")  # leads carry the deal custom fields
LEAD_LABELS = derived("getLeadLabels", LeadLabel)
USERS = derived("getUsers", User)
FILTERS = derived("getFilters", Filter)
CURRENCIES = derived("getCurrencies", Currency)
DEAL_FIELDS = derived("v1:getDealFields", FieldDefinition, fields_entity="deal")
PERSON_FIELDS = derived("v1:getPersonFields", FieldDefinition, fields_entity="person")
ORGANIZATION_FIELDS = derived("v1:getOrganizationFields", FieldDefinition, fields_entity="organization")
WEBHOOKS = derived("getWebhooks", Webhook)
ITEM_SEARCH = derived("searchItem", SearchHit, search="searchItem")

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
