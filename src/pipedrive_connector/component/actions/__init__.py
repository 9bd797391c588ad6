"""Every action, in the seed's order (deals, leads, organizations, persons), then the extras."""

from __future__ import annotations

from pipedrive_connector.component.actions import activities, deals, leads, organizations, persons
from pipedrive_connector.component.model import Action

_ALL = deals.ACTIONS + leads.ACTIONS + organizations.ACTIONS + persons.ACTIONS + activities.ACTIONS
ACTIONS: tuple[Action, ...] = tuple(a for a in _ALL if not a.extra) + tuple(a for a in _ALL if a.extra)
ACTIONS_BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}
