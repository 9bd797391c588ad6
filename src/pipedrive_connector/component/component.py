"""``Component``: the manifest, validation and the runner over the action definitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipedrive_connector.component.actions import ACTIONS, ACTIONS_BY_NAME
from pipedrive_connector.component.calls import adrive, drive
from pipedrive_connector.component.connection import Connection
from pipedrive_connector.component.context import ApiVersion
from pipedrive_connector.component.errors import UnknownActionError, ValidationError
from pipedrive_connector.component.manifest import build_manifest
from pipedrive_connector.component.model import Action, Option
from pipedrive_connector.component.options import LOADERS, load_options
from pipedrive_connector.component.schema import validate_properties


class Component:
    """The Pipedrive component: ``manifest()``, ``validate()``, ``run()``/``arun()``, ``options()``."""

    name = "pipedrive"

    @property
    def actions(self) -> tuple[Action, ...]:
        return ACTIONS

    def action(self, name: str) -> Action:
        try:
            return ACTIONS_BY_NAME[name]
        except KeyError:
            raise UnknownActionError(name, list(ACTIONS_BY_NAME)) from None

    def manifest(self) -> dict[str, Any]:
        return build_manifest()

    def validate(
        self, name: str, inputs: Mapping[str, Any] | None, api_version: ApiVersion = "v2"
    ) -> dict[str, Any]:
        """The cleaned inputs, or ``ValidationError`` naming the property. Makes no request."""
        action = self.action(name)
        if inputs is not None and not isinstance(inputs, Mapping):
            raise ValidationError(
                "input", f"expected an object with the properties of {name}, got {type(inputs).__name__}"
            )
        given = dict(inputs or {})
        if action.body_property and action.body_property not in given and given:
            # A flat body (``{"title": ...}`` for addDeal) is folded into the request object.
            body_prop = action.property(action.body_property)
            others = {p.name for p in action.properties if p.name != action.body_property}
            if body_prop is not None and any(body_prop.child(k) for k in given if k not in others):
                given = {
                    **{k: v for k, v in given.items() if k in others},
                    action.body_property: {k: v for k, v in given.items() if k not in others},
                }
        cleaned = validate_properties(action.properties, given)
        for check in action.checks:
            check(cleaned, api_version)
        return cleaned

    def run(
        self,
        name: str,
        inputs: Mapping[str, Any] | None,
        connection: Connection,
        *,
        api_version: ApiVersion | None = None,
        raw_custom_fields: bool = False,
    ) -> dict[str, Any]:
        """Validate ``inputs`` (before any request), run the action, return its output."""
        ctx = connection.context(api_version, resolve_custom_fields=not raw_custom_fields)
        cleaned = self.validate(name, inputs, ctx.api_version)
        action = self.action(name)
        with connection.client() as client:
            return _envelope(drive(action.execute(ctx, cleaned), client))

    async def arun(
        self,
        name: str,
        inputs: Mapping[str, Any] | None,
        connection: Connection,
        *,
        api_version: ApiVersion | None = None,
        raw_custom_fields: bool = False,
    ) -> dict[str, Any]:
        ctx = connection.context(api_version, resolve_custom_fields=not raw_custom_fields)
        cleaned = self.validate(name, inputs, ctx.api_version)
        action = self.action(name)
        async with connection.async_client() as client:
            return _envelope(await adrive(action.execute(ctx, cleaned), client))

    def options(
        self,
        action: str,
        property: str,
        connection: Connection,
        *,
        inputs: Mapping[str, Any] | None = None,
        search: str | None = None,
    ) -> list[Option]:
        """The options of a SELECT property with a loader (``property`` may be dotted: ``deal.stage_id``)."""
        prop = None
        props = self.action(action).properties
        for part in property.split("."):
            prop = next((p for p in props if p.name == part), None)
            if prop is None:
                raise ValidationError(property, f"no such property in {action}")
            props = prop.properties
        if prop is None or prop.options_loader is None:
            if prop is not None and prop.options:
                return list(prop.options)
            raise ValidationError(property, "has no options")
        loader = prop.options_loader.name
        if loader not in LOADERS:
            raise ValidationError(property, f"unknown options loader {loader!r}")
        with connection.client() as client:
            return drive(load_options(connection.context(), loader, inputs, search), client)


def _envelope(output: dict[str, Any]) -> dict[str, Any]:
    """The seed's envelope on every output: ``success``, ``data`` and ``additional_data`` (maybe empty)."""
    if output.get("additional_data") is None:
        output = {**output, "additional_data": {}}
    return output
