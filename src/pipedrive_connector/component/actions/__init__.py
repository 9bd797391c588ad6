"""Every action, in the seed's order (deals, leads, organizations, persons), then the extras."""

from __future__ import annotations

from pipedrive_connector.component.actions import (
    activities,
    contacts,
    conversions,
    custom,
    deal_workflow,
    deals,
    files,
    followers,
    leads,
    notes,
    organizations,
    persons,
    products,
    reference,
)
from pipedrive_connector.component.model import Action

_ALL = (
    deals.ACTIONS
    + deal_workflow.ACTIONS
    + leads.ACTIONS
    + conversions.ACTIONS
    + organizations.ACTIONS
    + persons.ACTIONS
    + contacts.ACTIONS
    + activities.ACTIONS
    + notes.ACTIONS
    + products.ACTIONS
    + files.ACTIONS
    + followers.ACTIONS
    + reference.ACTIONS
    + custom.ACTIONS
)
ACTIONS: tuple[Action, ...] = tuple(a for a in _ALL if not a.extra) + tuple(a for a in _ALL if a.extra)
ACTIONS_BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}
if len(ACTIONS_BY_NAME) != len(ACTIONS):
    raise RuntimeError("two actions share a name")
