"""Reference data as MCP resources, so an agent can pick ids: pipelines, stages and each entity's fields.

Each resource is a compact JSON list (only the keys an agent needs to choose an id), read from every
page of its list through the component's paging flows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from pipedrive_connector.component.calls import Flow, adrive
from pipedrive_connector.component.connection import Connection
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.custom_fields import FIELDS_PATH
from pipedrive_connector.component.options import LOADERS
from pipedrive_connector.component.paging import v1_all, v2_all

MIME = "application/json"


@dataclass(frozen=True)
class ReferenceResource:
    uri: str
    name: str
    description: str
    load: Callable[[ActionContext], Flow[list[Any]]]
    keys: tuple[str, ...]

    def listing(self) -> types.Resource:
        return types.Resource(uri=self.uri, name=self.name, description=self.description, mime_type=MIME)


def _loader_items(loader: str) -> Callable[[ActionContext], Flow[list[Any]]]:
    spec = LOADERS[loader]

    def load(ctx: ActionContext) -> Flow[list[Any]]:
        if ctx.v2 and spec.v2_path:
            return (yield from v2_all(spec.v2_path, spec.params))
        return (yield from v1_all(spec.v1_path, spec.params, paged=spec.v1_paged))

    return load


def _fields(entity: str) -> Callable[[ActionContext], Flow[list[Any]]]:
    def load(ctx: ActionContext) -> Flow[list[Any]]:
        return (yield from v1_all(FIELDS_PATH[entity]))

    return load


_FIELD_KEYS = ("id", "key", "name", "field_type", "mandatory_flag", "options")
_FIELD_ENTITIES = ("deal", "person", "organization", "activity", "product", "note")

RESOURCES: dict[str, ReferenceResource] = {
    r.uri: r
    for r in (
        ReferenceResource(
            "pipedrive://pipelines",
            "pipelines",
            "Every pipeline: id and name (deals' pipeline_id).",
            _loader_items("pipelines"),
            ("id", "name", "order_nr", "is_deleted", "active"),
        ),
        ReferenceResource(
            "pipedrive://stages",
            "stages",
            "Every stage: id, name and its pipeline_id (deals' stage_id).",
            _loader_items("stages"),
            ("id", "name", "pipeline_id", "order_nr", "deal_probability"),
        ),
        *(
            ReferenceResource(
                f"pipedrive://fields/{entity}",
                f"{entity} fields",
                f"The {entity} fields: key, name, type and the options of enum/set fields "
                "(custom fields may be given by name).",
                _fields(entity),
                _FIELD_KEYS,
            )
            for entity in _FIELD_ENTITIES
        ),
    )
}


def _compact(item: Any, keys: tuple[str, ...]) -> Any:
    if not isinstance(item, dict):
        return item
    return {key: item[key] for key in keys if item.get(key) is not None}


async def read_resource(connection: Connection, uri: str) -> types.ReadResourceResult | None:
    """The resource's JSON, or None for a URI that is not one of ``RESOURCES``."""
    resource = RESOURCES.get(uri)
    if resource is None:
        return None
    ctx = connection.context()
    async with connection.async_client() as client:
        items = await adrive(resource.load(ctx), client)
    text = json.dumps([_compact(item, resource.keys) for item in items], ensure_ascii=False)
    return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=MIME, text=text)])
