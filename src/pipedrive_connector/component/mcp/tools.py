"""Every action of the manifest as an MCP tool: its schemas, its annotations, paging, and the call.

Tools are built from the manifest's action entries, so an action added to the component is served
without a change here. Lists are paged: a tool whose action takes ``start`` takes an opaque ``cursor``
instead (and ``limit`` capped at the page size); a tool whose action returns a whole list (users,
filters...) gets ``limit``/``cursor`` and is sliced here. Either way the result carries
``next_cursor`` (null on the last page) instead of dumping everything.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import mcp_types as types
from jsonschema import Draft202012Validator

from pipedrive_connector.client.errors import PipedriveError
from pipedrive_connector.component.errors import ComponentError, ValidationError

PAGE_SIZE = 100
Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
Paging = Literal["none", "start", "slice"]

# Inputs that read a file on the server's machine (uploadFile's file_path): an agent steered by text it
# read in the CRM could send the server's own files (keys, configs) to Pipedrive, so tools never take them.
SERVER_FILE_INPUTS = frozenset({"file_path"})
_DESTRUCTIVE_NAME = re.compile(r"^(delete|remove|merge)[A-Z]")
_READ_NAME = re.compile(r"^(get|search|find|list|download)[A-Z]")
_MAX_OFFSET = 10**9


@dataclass(frozen=True)
class ToolKind:
    read_only: bool
    destructive: bool


def tool_kind(entry: Mapping[str, Any]) -> ToolKind:
    """What an action does to the account: its ``read_only``/``destructive`` attributes when the
    manifest has them, else guessed from its name (delete/remove/merge destroy; get/search/find read)."""
    if "read_only" in entry or "destructive" in entry:
        destructive = bool(entry.get("destructive"))
        return ToolKind(read_only=bool(entry.get("read_only")) and not destructive, destructive=destructive)
    name = str(entry["name"])
    destructive = bool(_DESTRUCTIVE_NAME.match(name))
    return ToolKind(read_only=not destructive and bool(_READ_NAME.match(name)), destructive=destructive)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: Any) -> int:
    """The offset a cursor stands for; ``ValidationError`` naming ``cursor`` for anything else."""
    if cursor is None:
        return 0
    problem = "expected a next_cursor returned by an earlier call of this tool"
    if not isinstance(cursor, str) or len(cursor) > 200:
        raise ValidationError("cursor", problem)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise ValidationError("cursor", problem) from None
    offset = decoded.get("offset") if isinstance(decoded, dict) else None
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= _MAX_OFFSET:
        raise ValidationError("cursor", problem)
    return offset


def _paging(entry: Mapping[str, Any]) -> Paging:
    inputs = entry["input_schema"].get("properties", {})
    if "start" in inputs and "cursor" not in inputs:
        return "start"
    data = entry.get("output_schema", {}).get("properties", {}).get("data", {})
    if data.get("type") == "array" and not {"limit", "cursor"} & set(inputs):
        return "slice"
    return "none"


def _input_schema(entry: Mapping[str, Any], paging: Paging, page_size: int) -> dict[str, Any]:
    schema = copy.deepcopy(dict(entry["input_schema"]))
    for name in SERVER_FILE_INPUTS & set(schema.get("properties", {})):
        del schema["properties"][name]
        if name in schema.get("required", []):
            schema["required"].remove(name)
    if paging == "none":
        return schema
    props: dict[str, Any] = schema.setdefault("properties", {})
    props.pop("start", None)
    limit = props.get("limit") or {"type": "integer", "title": "Limit", "minimum": 1}
    limit["maximum"] = min(limit.get("maximum", page_size), page_size)
    limit["default"] = min(limit.get("default", page_size), page_size)
    limit["description"] = f"Items per call (at most {page_size}); use next_cursor for more."
    props["limit"] = limit
    props["cursor"] = {
        "type": "string",
        "title": "Cursor",
        "description": "The next_cursor of the previous call, to fetch the next page.",
    }
    if "required" in schema:
        schema["required"] = [name for name in schema["required"] if name != "start"]
    return schema


def _output_schema(entry: Mapping[str, Any], paging: Paging) -> dict[str, Any] | None:
    schema = entry.get("output_schema")
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        return None
    schema = copy.deepcopy(dict(schema))
    if paging != "none":
        schema.setdefault("properties", {})["next_cursor"] = {
            "type": ["string", "null"],
            "description": "Pass as cursor to fetch the next page; null on the last page.",
        }
    return schema


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def _next_start(output: Mapping[str, Any]) -> int | None:
    """Where the next page starts, from the seed's ``additional_data.pagination`` of a list output."""
    additional = output.get("additional_data")
    page = additional.get("pagination") if isinstance(additional, Mapping) else None
    if not isinstance(page, Mapping) or not page.get("more_items_in_collection"):
        return None
    next_start = page.get("next_start")
    return next_start if isinstance(next_start, int) and not isinstance(next_start, bool) else None


@dataclass(frozen=True)
class ActionTool:
    """One action served as an MCP tool."""

    name: str
    kind: ToolKind
    paging: Paging
    page_size: int
    tool: types.Tool
    # A jsonschema validator of tool.output_schema (None without one).
    output_checker: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any], page_size: int = PAGE_SIZE) -> ActionTool:
        kind = tool_kind(entry)
        paging = _paging(entry)
        title = str(entry.get("title") or entry["name"])
        description = str(entry.get("description") or "")
        tool = types.Tool(
            name=entry["name"],
            title=title,
            description=f"{title}. {description}".strip() if description else title,
            input_schema=_input_schema(entry, paging, page_size),
            output_schema=_output_schema(entry, paging),
            annotations=types.ToolAnnotations(
                title=title,
                read_only_hint=kind.read_only,
                destructive_hint=kind.destructive,
                idempotent_hint=True if kind.read_only else None,
                open_world_hint=True,
            ),
        )
        checker = Draft202012Validator(tool.output_schema) if tool.output_schema is not None else None
        return cls(entry["name"], kind, paging, page_size, tool, checker)

    def _limit(self, arguments: dict[str, Any]) -> int:
        limit = arguments.pop("limit", None)
        if limit is None:
            return self.page_size
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= self.page_size:
            raise ValidationError("limit", f"expected an integer from 1 to {self.page_size}, got {limit!r}")
        return limit

    async def call(self, arguments: Mapping[str, Any] | None, run: Run) -> types.CallToolResult:
        """Run the action; bad input and Pipedrive's errors come back as an error result, not raised."""
        try:
            output = await self._run(dict(arguments or {}), run)
        except ValidationError as error:
            return _error(f"invalid input: {error}")
        except PipedriveError as error:
            status = getattr(error, "status_code", None)
            return _error(f"Pipedrive error{f' {status}' if status else ''}: {error}")
        except ComponentError as error:
            return _error(str(error))
        text = json.dumps(output, ensure_ascii=False, separators=(",", ":"))
        mismatch = self._output_mismatch(output)
        if mismatch:
            # Clients reject structured content that breaks the declared schema; the agent must still
            # learn that the action ran (a delete must not be retried), so the output goes in the text.
            return _error(
                f"{self.name} ran, but its output does not match its output schema ({mismatch}): {text}"
            )
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], structured_content=output
        )

    def _output_mismatch(self, output: dict[str, Any]) -> str | None:
        """Where ``output`` breaks the tool's output schema (``data.id: ...``), or None."""
        if self.output_checker is None:
            return None
        error = next(iter(self.output_checker.iter_errors(output)), None)
        if error is None:
            return None
        where = ".".join(str(part) for part in error.absolute_path) or "output"
        return f"{where}: {error.message}"

    async def _run(self, arguments: dict[str, Any], run: Run) -> dict[str, Any]:
        local = sorted(SERVER_FILE_INPUTS & set(arguments))
        if local:
            raise ValidationError(
                local[0], "files on the server are not readable over MCP; send content_base64"
            )
        if self.paging == "none":
            return await run(self.name, arguments)
        offset = decode_cursor(arguments.pop("cursor", None))
        limit = self._limit(arguments)
        if self.paging == "start":
            output = await run(self.name, {**arguments, "start": offset, "limit": limit})
            next_start = _next_start(output)
            if next_start is None or next_start <= offset:  # a next_start that does not advance ends it
                return {**output, "next_cursor": None}
            return {**output, "next_cursor": encode_cursor(next_start)}
        output = await run(self.name, arguments)
        data = output.get("data")
        items = data if isinstance(data, list) else []
        end = offset + limit
        return {
            **output,
            "data": items[offset:end],
            "next_cursor": encode_cursor(end) if len(items) > end else None,
        }


def action_tools(
    manifest: Mapping[str, Any], *, read_only: bool = False, page_size: int = PAGE_SIZE
) -> dict[str, ActionTool]:
    """The manifest's actions as tools by name; with ``read_only``, only the non-destructive reads."""
    tools = (ActionTool.from_entry(entry, page_size) for entry in manifest["actions"])
    return {t.name: t for t in tools if not read_only or (t.kind.read_only and not t.kind.destructive)}
