"""Valid inputs for every generated operation, derived from Pipedrive's specs, and the records they name.

``Arranger(call, control, shared_dir, tmp_path).inputs(op)`` returns the keyword arguments for ``op``'s
generated method:

- **path ids** name records the test creates first, through the catalog's own create operation for
  that collection (the POST on the parent path: ``/api/v2/deals/{id}/discounts/{discount_id}`` creates
  a deal, then a discount on it), called with inputs built the same way; the id is read from its
  answer (``id``, or ``field_code`` for v2 field paths, so fields are always *custom* fields). A
  collection without a create operation (permission sets, project templates) is listed and its first
  record used; a few ids come from another operation (``RESOLVERS``).
- **query and body values** come from the spec: its example when it is valid, otherwise a value by
  format (``date``: today, the v1 ``YYYY-MM-DD HH:MM:SS`` fields: now, ``email``, ``uuid``, URLs...).
- ``OVERRIDES`` lists the few operations where a real Pipedrive rule is stricter than the spec's
  example (a note needs a parent, a filter a valid type, a merge a second record...); each entry says
  which rule.
- a JSON array body (field options) gets one item from the item schema; an ``id`` in it names an
  existing child of the parent record.
- an operation on a sub-collection (``/products/{id}/images``, ``/roles/{id}/assignments``) other than
  its create gets a child created first, so updates and deletes act on something that exists.

``call(op, args)`` runs a generated method, so the arranging goes through the same generated client the
test checks; ``control(path, body)`` posts to the sandbox's control plane (mail delivery).
"""

from __future__ import annotations

import io
import re
import struct
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from pipedrive_connector.client import catalog
from pipedrive_connector.client._generated import Operation

PREFIX = {"v1": "/v1", "v2": "/api/v2"}
_PARAM = re.compile(r"\{[^}]+\}")
_SPECS: dict[str, dict[str, Any]] = {}
Call = Callable[[Operation, dict[str, Any]], Any]
# POSTs a JSON body to a sandbox control-plane path and returns the answer's ``data``.
Control = Callable[[str, dict[str, Any]], dict[str, Any]]


def spec_operation(shared_dir: Path, op: Operation) -> dict[str, Any]:
    """The operation's object in its spec (parameters, requestBody...)."""
    if op.api not in _SPECS:
        text = (shared_dir / "pipedrive" / f"openapi-{op.api}.yaml").read_text(encoding="utf-8")
        _SPECS[op.api] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    raw: dict[str, Any] = _SPECS[op.api]["paths"][op.path[len(PREFIX[op.api]) :]][op.method.lower()]
    return raw


def png_bytes() -> bytes:
    """A real 1x1 PNG (product images must be images)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def wav_bytes() -> bytes:
    """A real, silent 8 kHz WAV of ten samples (call recordings must be audio)."""
    samples = b"\x80" * 10
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 8000, 1, 8)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(samples))
    return b"RIFF" + struct.pack("<I", len(body) + len(samples)) + body + samples


# ---- values by schema ----

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_V1_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]+$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_URL = re.compile(r"^https?://")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _formatted(wire: str, schema: dict[str, Any], text: str) -> tuple[re.Pattern[str], str] | None:
    """For a field with a format Pipedrive checks: the pattern a valid value matches and a fresh one."""
    fmt = schema.get("format")
    temporal = any(hint in wire.lower() for hint in ("date", "time", "start", "end"))
    now = _now()
    if "YYYY-MM-DD HH:MM:SS" in text and temporal:
        return _V1_TIME, now.strftime("%Y-%m-%d %H:%M:%S")
    if fmt == "date" or ("YYYY-MM-DD" in text and temporal and fmt != "date-time"):
        return _DATE, now.date().isoformat()
    if fmt == "date-time":
        return _DATE_TIME, now.isoformat().replace("+00:00", "Z")
    if fmt == "email" or wire.endswith("email"):
        return _EMAIL, f"{uuid.uuid4().hex[:8]}@example.com"
    if fmt == "uuid":
        return _UUID, str(uuid.uuid4())
    if wire.endswith("url") and schema.get("type") == "string":
        return _URL, "https://example.com/hook"
    return None


def value_for(wire: str, schema: dict[str, Any], example: Any = None, description: str = "") -> Any:
    """A value for one parameter or body property that Pipedrive accepts: the spec's example when it
    is valid for the field's format, otherwise one built from the format, the description or the name."""
    if example is None:
        example = schema.get("example", schema.get("default"))
    formatted = _formatted(wire, schema, f"{description} {schema.get('description') or ''}")
    if formatted is not None:
        pattern, fresh = formatted
        return example if isinstance(example, str) and pattern.match(example) else fresh
    if example is not None:
        return example
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [value_for(wire, schema.get("items") or {})]
    if schema.get("properties") or schema.get("allOf"):
        return object_value(schema)
    return {"integer": 1, "number": 1, "boolean": True, "object": {}}.get(str(kind), "Example")


def merged(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema with its allOf parts folded in."""
    out = dict(schema)
    for part in schema.get("allOf") or []:
        sub = merged(part)
        out["properties"] = {**(out.get("properties") or {}), **(sub.get("properties") or {})}
        out["required"] = [*(out.get("required") or []), *(sub.get("required") or [])]
    return out


def object_value(schema: dict[str, Any]) -> dict[str, Any]:
    """An object's required properties and those the spec gives an example for."""
    schema = merged(schema)
    required = set(schema.get("required") or [])
    return {
        name: value_for(name, prop)
        for name, prop in (schema.get("properties") or {}).items()
        if name in required or "example" in prop
    }


# ---- finding ids in answers ----


def find_key(data: Any, key: str) -> Any:
    """``data[key]``, looked for in the first item of a list and in nested objects (``{"goal": {...}}``)."""
    if isinstance(data, list):
        return find_key(data[0], key) if data else None
    if not isinstance(data, dict):
        return None
    if data.get(key) is not None:
        return data[key]
    for value in data.values():
        if isinstance(value, dict | list):
            found = find_key(value, key)
            if found is not None:
                return found
    return None


def as_dict(answer: Any) -> dict[str, Any]:
    dumped = answer.model_dump(mode="json", by_alias=True) if hasattr(answer, "model_dump") else answer
    return dumped if isinstance(dumped, dict) else {}


def normalize(path: str) -> str:
    return _PARAM.sub("{}", path)


def _by_route() -> dict[tuple[str, str], list[Operation]]:
    table: dict[tuple[str, str], list[Operation]] = {}
    for op in catalog.OPERATIONS:
        table.setdefault((op.method, normalize(op.path)), []).append(op)
    return table


ROUTES = _by_route()


def route_op(method: str, path: str, other_api: bool = False) -> Operation | None:
    """The catalog operation ``method path``; with ``other_api``, the other API version's one when the
    path's own version has none (v1 ``/v1/deals/{id}/flow`` names a deal created through v2)."""
    found = ROUTES.get((method, normalize(path)))
    if not found and other_api:
        for mine, theirs in (("/v1/", "/api/v2/"), ("/api/v2/", "/v1/")):
            if path.startswith(mine):
                found = ROUTES.get((method, normalize(theirs + path[len(mine) :])))
    return found[0] if found else None


# The key of the created record an id parameter is read from, where it is not "id".
ANSWER_KEYS = {
    ("v2", "field_code"): "field_code",
    ("v2", "follower_id"): "user_id",
    ("v2", "conversion_id"): "conversion_id",
    ("v1", "commentId"): "uuid",
}


class Arranger:
    """Builds the inputs of operations and creates the records their path ids name."""

    def __init__(self, call: Call, control: Control, shared_dir: Path, tmp_path: Path) -> None:
        self.call = call
        self.control = control
        self.shared_dir = shared_dir
        self.tmp_path = tmp_path

    def run(self, op: Operation, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call ``op`` with derived inputs (``given`` wins) and return its answer as a dict."""
        return as_dict(self.call(op, self.inputs(op, given)))

    def inputs(self, op: Operation, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Keyword arguments (Python names) for ``op``'s generated method."""
        given = dict(given or {})
        raw = spec_operation(self.shared_dir, op)
        by_wire = {p.wire: p for p in op.params}
        path_values = self.path_ids(op, given)
        args: dict[str, Any] = {by_wire[w].name: v for w, v in path_values.items()}
        for param in raw.get("parameters") or []:
            mine = by_wire.get(param["name"])
            if mine is None or mine.where == "path" or not param.get("required"):
                continue
            args[mine.name] = value_for(
                param["name"], param.get("schema") or {}, param.get("example"), param.get("description") or ""
            )
        content = (raw.get("requestBody") or {}).get("content") or {}
        for media in content.values():
            schema = merged(media.get("schema") or {})
            whole = [p for p in op.params if p.where == "json"]  # the whole body
            if schema.get("type") == "array" and len(whole) == 1:
                args[whole[0].name] = self.array_body(op, schema, path_values)
            required = set(schema.get("required") or [])
            for wire, prop in (schema.get("properties") or {}).items():
                mine = by_wire.get(wire)
                if mine is None:
                    continue
                if mine.where == "file":
                    args[mine.name] = self.upload(op)
                elif wire in required or "example" in prop:
                    args[mine.name] = value_for(wire, prop)
            if op.method == "POST":
                # Pipedrive refuses a nameless record even where the spec lists no required field.
                for wire in ("name", "title"):
                    if wire in by_wire and by_wire[wire].where == "body":
                        args.setdefault(by_wire[wire].name, f"Generated {op.python_name} {wire}")
        override = OVERRIDES.get(op.python_name)
        if override is not None:
            override(self, op, args)
        for wire, value in given.items():
            if wire in by_wire:
                args[by_wire[wire].name] = value
        if op.download:
            args["to"] = self.tmp_path / f"download-{uuid.uuid4().hex[:8]}"
        return args

    def path_ids(self, op: Operation, given: dict[str, Any]) -> dict[str, Any]:
        """Each path parameter (by wire name), left to right, resolved to a record that exists."""
        resolved: dict[str, Any] = {}
        for match in _PARAM.finditer(op.path):
            wire = match.group(0)[1:-1]
            if wire in given:
                resolved[wire] = given[wire]
                continue
            collection = op.path[: match.start()].rstrip("/")
            resolver = RESOLVERS.get((op.api, normalize(collection), wire))
            if resolver is not None:
                resolved[wire] = resolver(self, resolved)
            else:
                resolved[wire] = self.record(op.api, collection, wire, resolved)
        sibling = route_op("POST", op.path)
        if (
            op.method != "POST"
            and sibling is not None
            and _PARAM.search(op.path)
            and not _PARAM.search(op.path.rsplit("/", 1)[-1])
        ):
            # An operation on a sub-collection (images, assignments, options): one child exists first.
            self.run(sibling, {**resolved})
        return resolved

    def array_body(self, op: Operation, schema: dict[str, Any], known: dict[str, Any]) -> list[Any]:
        """A JSON array body (the field-option bulk operations): one item from the item schema; an
        ``id`` in it names an existing child of the parent (``/dealFields/{code}/options`` -> the
        field's first option)."""
        item = value_for("item", schema.get("items") or {})
        if isinstance(item, dict) and "label" in item:
            item["label"] = f"Option {uuid.uuid4().hex[:8]}"  # a field's option labels are unique
        if isinstance(item, dict) and "id" in item:
            parent, children = op.path.rsplit("/", 1)
            reader = route_op("GET", parent)
            assert reader is not None, parent
            listed = self.run(reader, known).get("data") or {}
            item["id"] = find_key(listed.get(children), "id")
        return [item]

    def record(self, api: str, collection: str, wire: str, known: dict[str, Any]) -> Any:
        """The id (or code) of a record created in ``collection`` (a path template whose earlier ids are
        in ``known``); the collection's first listed record when it has no create operation."""
        key = ANSWER_KEYS.get((api, wire), "id")
        params = {m.group(0)[1:-1]: known[m.group(0)[1:-1]] for m in _PARAM.finditer(collection)}
        creator = route_op("POST", collection, other_api=True)
        if creator is not None:
            answer = self.run(creator, params)
        else:
            lister = route_op("GET", collection, other_api=True)
            if lister is None:
                raise LookupError(f"no operation creates or lists {collection} (for {wire})")
            answer = self.run(lister, params)
        value = find_key(answer.get("data"), key)
        if value is None:
            raise LookupError(f"{collection}: no {key!r} in {answer}")
        # A model typed from a ``number`` schema answers 1.0 for an integer id.
        return int(value) if isinstance(value, float) and value.is_integer() else value

    def upload(self, op: Operation) -> io.BytesIO:
        if "image" in op.path.lower():
            upload = io.BytesIO(png_bytes())
            upload.name = "pixel.png"
        elif "recording" in op.path.lower():
            upload = io.BytesIO(wav_bytes())
            upload.name = "call.wav"
        else:
            upload = io.BytesIO(b"hello from the generated client")
            upload.name = "hello.txt"
        return upload


# ---- ids that come from another operation than the collection's create ----


def _conversion(source: str, target: str) -> Callable[[Arranger, dict[str, Any]], Any]:
    path = f"/api/v2/{source}/{{id}}/convert/{target}"

    def resolve(arranger: Arranger, known: dict[str, Any]) -> Any:
        op = route_op("POST", path)
        assert op is not None, path
        return find_key(arranger.run(op, {"id": known["id"]}).get("data"), "conversion_id")

    return resolve


def _in_project(collection: str) -> Callable[[Arranger, dict[str, Any]], Any]:
    def resolve(arranger: Arranger, known: dict[str, Any]) -> Any:
        return _created(collection, project_id=known["id"])(arranger)

    return resolve


def _provider_link_id(arranger: Arranger, known: dict[str, Any]) -> Any:
    """A video call provider link is named by the id its creator chose."""
    op = route_op("POST", "/v1/meetings/userProviderLinks")
    assert op is not None
    link = str(uuid.uuid4())
    arranger.run(op, {"user_provider_id": link})
    return link


def _mail(part: str) -> Callable[[Arranger, dict[str, Any]], Any]:
    """Pipedrive has no operation that creates mail: the sandbox's control plane delivers a thread."""

    def resolve(arranger: Arranger, known: dict[str, Any]) -> Any:
        delivered = arranger.control("/_sandbox/mail", {"subject": "Quote", "body": "Hi", "deal_id": 1})
        return delivered[part]["id"]

    return resolve


RESOLVERS: dict[tuple[str, str, str], Callable[[Arranger, dict[str, Any]], Any]] = {
    ("v1", "/v1/mailbox/mailThreads", "id"): _mail("thread"),
    ("v1", "/v1/mailbox/mailMessages", "id"): _mail("message"),
    ("v1", "/v1/meetings/userProviderLinks", "id"): _provider_link_id,
    # A project's plan holds the activities and tasks of that project.
    ("v1", "/v1/projects/{}/plan/activities", "activityId"): _in_project("/api/v2/activities"),
    ("v1", "/v1/projects/{}/plan/tasks", "taskId"): _in_project("/api/v2/tasks"),
    # A conversion id is what starting a conversion answers.
    ("v2", "/api/v2/deals/{}/convert/status", "conversion_id"): _conversion("deals", "lead"),
    ("v2", "/api/v2/leads/{}/convert/status", "conversion_id"): _conversion("leads", "deal"),
}


# ---- where a real Pipedrive rule is stricter than the spec's example ----

Override = Callable[[Arranger, Operation, dict[str, Any]], None]


def _set(**values: Any) -> Override:
    def apply(arranger: Arranger, op: Operation, args: dict[str, Any]) -> None:
        args.update(values)

    return apply


def _today() -> str:
    return _now().date().isoformat()


def _created(collection: str, key: str = "id", **given: Any) -> Callable[[Arranger], Any]:
    """A record created through the collection's create operation (its id), for a body reference."""

    def create(arranger: Arranger) -> Any:
        op = route_op("POST", collection)
        assert op is not None, collection
        return find_key(arranger.run(op, given).get("data"), key)

    return create


def _refs(**makers: Callable[[Arranger], Any]) -> Override:
    def apply(arranger: Arranger, op: Operation, args: dict[str, Any]) -> None:
        args.update({name: make(arranger) for name, make in makers.items()})

    return apply


def _user(arranger: Arranger) -> Any:
    return _created("/v1/users")(arranger)


def _one_time_product(arranger: Arranger, op: Operation, args: dict[str, Any]) -> None:
    """Pipedrive: an installment needs a deal with at least one one-time product."""
    attach = route_op("POST", "/api/v2/deals/{id}/products")
    assert attach is not None
    arranger.run(attach, {"id": args["id"]})
    args.update(description="First installment", amount=10, billing_date=_today())


def _bulk_products(arranger: Arranger, op: Operation, args: dict[str, Any]) -> None:
    product = _created("/api/v2/products")(arranger)
    args["data"] = [{"product_id": product, "item_price": 10, "quantity": 1}]


def _provider_link(arranger: Arranger, op: Operation, args: dict[str, Any]) -> None:
    """The link's user must exist and its company must be the token's."""
    me = route_op("GET", "/v1/users/me")
    assert me is not None
    data = arranger.run(me).get("data") or {}
    args.update(user_id=data["id"], company_id=data["company_id"])


FILTER_CONDITIONS = {
    "glue": "and",
    "conditions": [{"glue": "and", "conditions": []}, {"glue": "or", "conditions": []}],
}

OVERRIDES: dict[str, Override] = {
    # A note and a lead need a parent record (the spec's example names none).
    "notes.add": _set(deal_id=1),
    "leads.add": _set(person_id=1),
    # filters: a real type and the minimum conditions structure the description requires.
    "filters.add": _set(type="deals", conditions=FILTER_CONDITIONS),
    "filters.update": _set(conditions=FILTER_CONDITIONS),
    # goals: the JSON structures the descriptions spell out.
    "goals.add": lambda arranger, op, args: args.update(
        assignee={"id": 1, "type": "person"},
        type={"name": "deals_won", "params": {"pipeline_id": [1]}},
        expected_outcome={"target": 50, "tracking_metric": "quantity"},
        duration={"start": _today(), "end": None},
    ),
    # Following: the creator already follows a new deal, person or organization.
    **{
        f"{kind}_followers.{name}": _refs(user_id=_user)
        for kind in ("deal", "person", "organization", "product")
        for name in ("add", "add_v1")
    },
    # A relationship links two different organizations.
    "organization_relationships.add": _refs(rel_linked_org_id=_created("/api/v2/organizations")),
    # Merging needs a second record to merge into.
    "deals.merge": _refs(merge_with_id=_created("/api/v2/deals")),
    "persons.merge": _refs(merge_with_id=_created("/api/v2/persons")),
    "organizations.merge": _refs(merge_with_id=_created("/api/v2/organizations")),
    "deal_installments.add": _one_time_product,
    "deal_products.bulk": _bulk_products,
    "meetings.user_provider_links": _provider_link,
    # Bulk deletes name records the test created.
    "filters.delete_many": _refs(ids=_created("/v1/filters", type="deals", conditions=FILTER_CONDITIONS)),
    **{
        f"{kind}_fields.delete_many": _refs(ids=_created(f"/v1/{kind}Fields"))
        for kind in ("deal", "person", "organization", "product")
    },
    # A timeline is read from a date field, a field search from a searchable field.
    "deals.timeline": _set(field_key="add_time"),
    "item_search.field": _set(field="title"),
    # An update must change something.
    **{
        f"{kind}_fields.update": _set(field_name="Renamed")
        for kind in ("deal", "person", "organization", "product", "project")
    },
    # Option operations need an options field.
    **{
        f"{kind}_fields.add": _set(field_type="enum", options=[{"label": "Alpha"}, {"label": "Beta"}])
        for kind in ("deal", "person", "organization", "product", "project")
    },
}
