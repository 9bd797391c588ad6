"""``pipedrive deals|leads|organizations|persons|activities|notes|products list|get|add|update|delete``
and ``search``, each resource's own verbs (``pipedrive deals won 7``, ``pipedrive deals add-product 7``)
and ``pipedrive request METHOD PATH``. Every command is built from the ``RESOURCES`` table and runs a
component action, so inputs are validated the same way as ``pipedrive run``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pipedrive_connector.cli._connect import ConnectionFlags, connection_options
from pipedrive_connector.cli._inputs import (
    merge,
    read_json_argument,
    read_json_object,
    text_pairs,
    typed_pairs,
)
from pipedrive_connector.cli._output import (
    Column,
    errors_as_messages,
    fail,
    print_csv,
    print_json,
    print_jsonl,
    print_table,
    stderr,
)

if TYPE_CHECKING:
    from pipedrive_connector.component import Component, Connection


def _first(*keys: str) -> Callable[[dict[str, Any]], Any]:
    """The first key present: list rows say ``org_id``, search items say ``organization``."""

    def get(row: dict[str, Any]) -> Any:
        return next((row[key] for key in keys if row.get(key) is not None), None)

    return get


_owner = _first("owner_id", "user_id", "owner")


def _primary(key_v1: str, key_v2: str) -> Callable[[dict[str, Any]], Any]:
    def get(row: dict[str, Any]) -> Any:
        values = row.get(key_v2) or row.get(key_v1) or []
        if isinstance(values, list):
            primary = next((v for v in values if isinstance(v, dict) and v.get("primary")), None)
            chosen = primary or (values[0] if values else None)
            return chosen.get("value") if isinstance(chosen, dict) else chosen
        return values

    return get


def _lead_value(row: dict[str, Any]) -> Any:
    value = row.get("value")
    return f"{value.get('amount')} {value.get('currency')}" if isinstance(value, dict) else value


@dataclass(frozen=True)
class Verb:
    """A command running one action: ``argument`` names the input the positional argument fills
    (None: no argument); ``fixed`` inputs are always given (the object type of followers)."""

    name: str
    action: str
    argument: str | None = "id"
    fixed: tuple[tuple[str, Any], ...] = ()


def _followers(object_type: str) -> tuple[Verb, ...]:
    fixed = (("object_type", object_type),)
    return (
        Verb("followers", "getFollowers", fixed=fixed),
        Verb("follow", "addFollower", fixed=fixed),
        Verb("unfollow", "removeFollower", fixed=fixed),
    )


@dataclass(frozen=True)
class ResourceCommands:
    name: str
    singular: str
    # The actions behind list/get/add/update/delete; "" when the resource has no such command.
    list_action: str
    get_action: str
    add_action: str
    update_action: str
    delete_action: str
    search_action: str | None
    columns: tuple[Column, ...]
    id_is_text: bool = False
    verbs: tuple[Verb, ...] = ()
    summary: str = ""  # the group's help, when "List, read, create ..." does not fit


RESOURCES = (
    ResourceCommands(
        "deals",
        "deal",
        "getDeals",
        "getDealDetails",
        "addDeal",
        "updateDeal",
        "deleteDeal",
        "searchDeals",
        (
            ("id", lambda r: r.get("id")),
            ("title", lambda r: r.get("title")),
            ("status", lambda r: r.get("status")),
            ("value", lambda r: r.get("value")),
            ("currency", lambda r: r.get("currency")),
            ("stage", _first("stage_id", "stage")),
            ("owner", _owner),
        ),
        verbs=(
            Verb("won", "markDealWon"),
            Verb("lost", "markDealLost"),
            Verb("move", "moveDealToStage"),
            Verb("duplicate", "duplicateDeal"),
            Verb("merge", "mergeDeals"),
            Verb("activities", "getDealActivities"),
            Verb("participants", "getDealParticipants"),
            Verb("add-participant", "addDealParticipant"),
            Verb("products", "getDealProducts", "deal_id"),
            Verb("add-product", "addProductToDeal", "deal_id"),
            Verb("update-product", "updateDealProduct", "deal_id"),
            Verb("remove-product", "removeProductFromDeal", "deal_id"),
            Verb("to-lead", "convertDealToLead"),
            *_followers("deal"),
        ),
    ),
    ResourceCommands(
        "leads",
        "lead",
        "getLeads",
        "getLeadDetails",
        "addLead",
        "updateLead",
        "deleteLead",
        "searchLeads",
        (
            ("id", lambda r: r.get("id")),
            ("title", lambda r: r.get("title")),
            ("value", _lead_value),
            ("person", _first("person_id", "person")),
            ("organization", _first("organization_id", "organization")),
            ("owner", _owner),
        ),
        id_is_text=True,
        verbs=(
            Verb("to-deal", "convertLeadToDeal"),
            Verb("labels", "getLeadLabels", None),
            Verb("add-label", "addLeadLabel", "name"),
        ),
    ),
    ResourceCommands(
        "organizations",
        "organization",
        "getOrganizations",
        "getOrganizationDetails",
        "addOrganization",
        "updateOrganization",
        "deleteOrganization",
        "searchOrganizations",
        (
            ("id", lambda r: r.get("id")),
            ("name", lambda r: r.get("name")),
            ("owner", _owner),
            ("address", lambda r: r.get("address")),
        ),
        verbs=(
            Verb("find", "findOrganizationByName", "name"),
            Verb("merge", "mergeOrganizations"),
            *_followers("organization"),
        ),
    ),
    ResourceCommands(
        "persons",
        "person",
        "getPersons",
        "getPersonDetails",
        "addPerson",
        "updatePerson",
        "deletePerson",
        "searchPersons",
        (
            ("id", lambda r: r.get("id")),
            ("name", lambda r: r.get("name")),
            ("email", _primary("email", "emails")),
            ("phone", _primary("phone", "phones")),
            ("organization", _first("org_id", "organization")),
            ("owner", _owner),
        ),
        verbs=(
            Verb("find", "findPersonByEmail", "email"),
            Verb("merge", "mergePersons"),
            *_followers("person"),
        ),
    ),
    ResourceCommands(
        "activities",
        "activity",
        "getActivities",
        "getActivity",
        "addActivity",
        "updateActivity",
        "deleteActivity",
        None,
        (
            ("id", lambda r: r.get("id")),
            ("subject", lambda r: r.get("subject")),
            ("type", lambda r: r.get("type")),
            ("due", lambda r: r.get("due_date")),
            ("time", lambda r: r.get("due_time")),
            ("done", lambda r: r.get("done")),
            ("owner", _owner),
        ),
    ),
    ResourceCommands(
        "notes",
        "note",
        "getNotes",
        "getNote",
        "addNote",
        "updateNote",
        "deleteNote",
        None,
        (
            ("id", lambda r: r.get("id")),
            ("content", lambda r: r.get("content")),
            ("deal", lambda r: r.get("deal_id")),
            ("person", lambda r: r.get("person_id")),
            ("organization", lambda r: r.get("org_id")),
            ("lead", lambda r: r.get("lead_id")),
            ("added", lambda r: r.get("add_time")),
        ),
    ),
    ResourceCommands(
        "files",
        "file",
        "getFiles",
        "getFile",
        "",
        "",
        "deleteFile",
        None,
        (
            ("id", lambda r: r.get("id")),
            ("name", lambda r: r.get("name")),
            ("file", lambda r: r.get("file_name")),
            ("size", lambda r: r.get("file_size")),
            ("deal", lambda r: r.get("deal_id")),
            ("person", lambda r: r.get("person_id")),
            ("organization", lambda r: r.get("org_id")),
        ),
        verbs=(Verb("upload", "uploadFile", "file_path"), Verb("rename", "updateFile")),
        summary="Upload, download, list, read, rename and delete files.",
    ),
    ResourceCommands(
        "products",
        "product",
        "getProducts",
        "getProduct",
        "addProduct",
        "updateProduct",
        "deleteProduct",
        "searchProducts",
        (
            ("id", lambda r: r.get("id")),
            ("name", lambda r: r.get("name")),
            ("code", lambda r: r.get("code")),
            ("unit", lambda r: r.get("unit")),
            ("owner", _owner),
        ),
        verbs=_followers("product"),
    ),
)

JSON = typer.Option(False, "--json", help="Print JSON.")
JSONL = typer.Option(False, "--jsonl", help="Print one JSON object per line.")
CSV = typer.Option(False, "--csv", help="Print CSV.")
PARAM = typer.Option(
    None, "--param", "-p", help="An action input as key=value (repeatable), e.g. status=open."
)
DATA = typer.Option(None, "--data", "-d", help="The body as JSON or @file.json.")
SET = typer.Option(None, "--set", "-s", help="A body field as key=value (repeatable), e.g. title=Acme.")
INPUT = typer.Option(None, "--data", "-d", help="The action's inputs as JSON or @file.json.")


def _format(as_json: bool, as_jsonl: bool, as_csv: bool) -> str:
    chosen = [name for name, flag in (("json", as_json), ("jsonl", as_jsonl), ("csv", as_csv)) if flag]
    if len(chosen) > 1:
        fail("choose one of --json, --jsonl, --csv", 2)
    return chosen[0] if chosen else "table"


def _emit_rows(rows: list[dict[str, Any]], columns: tuple[Column, ...], fmt: str, title: str) -> None:
    if fmt == "json":
        print_json(rows)
    elif fmt == "jsonl":
        print_jsonl(rows)
    elif fmt == "csv":
        keys: list[str] = []
        for row in rows:
            keys.extend(k for k in row if k not in keys)
        print_csv(rows, [(k, lambda r, k=k: r.get(k)) for k in keys])  # type: ignore[misc]
    else:
        print_table(rows, columns, title=title)


def _emit_one(data: Any, fmt: str) -> None:
    if fmt in ("json", "jsonl") or not isinstance(data, dict):
        print_json(data) if fmt != "jsonl" else print_jsonl([data])
    elif fmt == "csv":
        print_csv([data], [(k, lambda r, k=k: r.get(k)) for k in data])  # type: ignore[misc]
    else:
        print_table(
            [{"field": k, "value": v} for k, v in data.items()],
            (("field", lambda r: r["field"]), ("value", lambda r: r["value"])),
        )


def _rows(output: dict[str, Any]) -> list[dict[str, Any]]:
    data = output.get("data")
    if isinstance(data, dict) and isinstance(data.get("items"), list):  # search results
        return [{**(i.get("item") or {}), "result_score": i.get("result_score")} for i in data["items"]]
    return [row for row in data or [] if isinstance(row, dict)] if isinstance(data, list) else []


def _collect(
    component: Component, action: str, inputs: dict[str, Any], connection: Connection, every: bool
) -> list[dict[str, Any]]:
    if not every:
        return _rows(component.run(action, inputs, connection))
    from rich.progress import Progress, SpinnerColumn, TextColumn

    rows: list[dict[str, Any]] = []
    start = int(inputs.get("start") or 0)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=stderr, transient=True) as bar:
        task = bar.add_task(f"{action}: 0 items", total=None)
        while True:
            output = component.run(action, {**inputs, "start": start, "limit": 500}, connection)
            page = _rows(output)
            rows.extend(page)
            bar.update(task, description=f"{action}: {len(rows)} items")
            more = ((output.get("additional_data") or {}).get("pagination") or {}).get(
                "more_items_in_collection"
            )
            if not more or not page:
                return rows
            start += len(page)


def _component() -> Component:
    from pipedrive_connector.component import Component

    return Component()


def _build(resource: ResourceCommands) -> typer.Typer:
    verbs = (
        "List, read, create, change, delete and search"
        if resource.search_action
        else ("List, read, create, change and delete")
    )
    app = typer.Typer(help=resource.summary or f"{verbs} {resource.name}.", no_args_is_help=True)
    id_help = f"The {resource.singular}'s id" + (" (UUID)." if resource.id_is_text else ".")

    def parse_id(value: str) -> Any:
        if resource.id_is_text:
            return value
        try:
            return int(value)
        except ValueError:
            fail(f"expected a numeric {resource.singular} id, got {value!r}", 2)

    @app.command("list")
    @connection_options()
    def list_(
        limit: int = typer.Option(100, "--limit", "-n", min=1, max=500, help="Items per page."),
        start: int = typer.Option(0, "--start", min=0, help="Offset of the first item."),
        every: bool = typer.Option(False, "--all", help="Page through everything (progress on stderr)."),
        param: list[str] | None = PARAM,
        as_json: bool = JSON,
        as_jsonl: bool = JSONL,
        as_csv: bool = CSV,
        *,
        conn: ConnectionFlags,
    ) -> None:
        fmt = _format(as_json, as_jsonl, as_csv)
        with errors_as_messages():
            component = _component()
            params = typed_pairs(param, component.action(resource.list_action).properties, "--param")
            inputs = {**params, "limit": limit, "start": start}
            component.validate(resource.list_action, inputs, conn.api_version)  # type: ignore[arg-type]
            connection = conn.connection()
            rows = _collect(component, resource.list_action, inputs, connection, every)
        _emit_rows(rows, resource.columns, fmt, resource.name)

    list_.__doc__ = (
        f"List {resource.name} (--param passes action inputs, see `pipedrive actions show "
        f"{resource.list_action}`)."
    )

    @app.command("get")
    @connection_options()
    def get(
        item_id: str = typer.Argument(..., help=id_help),
        as_json: bool = JSON,
        as_jsonl: bool = JSONL,
        as_csv: bool = CSV,
        *,
        conn: ConnectionFlags,
    ) -> None:
        fmt = _format(as_json, as_jsonl, as_csv)
        with errors_as_messages():
            connection = conn.connection()
            output = _component().run(resource.get_action, {"id": parse_id(item_id)}, connection)
        _emit_one(output.get("data"), fmt)

    get.__doc__ = f"Show one {resource.singular}."

    def body_from(
        component: Component, action_name: str, data: str | None, sets: list[str] | None
    ) -> dict[str, Any]:
        """--data, then each --set typed by the field the action declares (title=123 stays text)."""
        action = component.action(action_name)
        body_property = action.property(action.body_property or resource.singular)
        fields = body_property.properties if body_property is not None else ()
        body = read_json_object(data, "--data") if data else {}
        return merge(body, typed_pairs(sets, fields, "--set"))

    @app.command("add")
    @connection_options()
    def add(
        data: str | None = DATA,
        sets: list[str] | None = SET,
        as_json: bool = JSON,
        as_jsonl: bool = JSONL,
        as_csv: bool = CSV,
        *,
        conn: ConnectionFlags,
    ) -> None:
        fmt = _format(as_json, as_jsonl, as_csv)
        with errors_as_messages():
            component = _component()
            inputs = {resource.singular: body_from(component, resource.add_action, data, sets)}
            component.validate(resource.add_action, inputs, conn.api_version)  # type: ignore[arg-type]
            connection = conn.connection()
            output = component.run(resource.add_action, inputs, connection)
        _emit_one(output.get("data"), fmt)

    add.__doc__ = f"Create a {resource.singular} from --data JSON and/or --set key=value fields."

    @app.command("update")
    @connection_options()
    def update(
        item_id: str = typer.Argument(..., help=id_help),
        data: str | None = DATA,
        sets: list[str] | None = SET,
        as_json: bool = JSON,
        as_jsonl: bool = JSONL,
        as_csv: bool = CSV,
        *,
        conn: ConnectionFlags,
    ) -> None:
        fmt = _format(as_json, as_jsonl, as_csv)
        with errors_as_messages():
            component = _component()
            body = body_from(component, resource.update_action, data, sets)
            inputs = {"id": parse_id(item_id), resource.singular: body}
            component.validate(resource.update_action, inputs, conn.api_version)  # type: ignore[arg-type]
            connection = conn.connection()
            output = component.run(resource.update_action, inputs, connection)
        _emit_one(output.get("data"), fmt)

    update.__doc__ = f"Change fields of a {resource.singular} (--data JSON and/or --set key=value)."

    @app.command("delete")
    @connection_options()
    def delete(
        item_id: str = typer.Argument(..., help=id_help),
        as_json: bool = JSON,
        *,
        conn: ConnectionFlags,
    ) -> None:
        with errors_as_messages():
            connection = conn.connection()
            output = _component().run(resource.delete_action, {"id": parse_id(item_id)}, connection)
        if as_json:
            print_json(output.get("data"))
        else:
            typer.echo(f"deleted {resource.singular} {(output.get('data') or {}).get('id', item_id)}")

    delete.__doc__ = f"Delete a {resource.singular}."

    if resource.search_action is not None:
        search_action = resource.search_action

        @app.command("search")
        @connection_options()
        def search(
            term: str = typer.Argument(..., help="At least 2 characters (1 with --exact)."),
            exact: bool = typer.Option(False, "--exact", help="Only exact matches (not case sensitive)."),
            limit: int = typer.Option(100, "--limit", "-n", min=1, max=500, help="Items per page."),
            every: bool = typer.Option(False, "--all", help="Page through every result."),
            param: list[str] | None = PARAM,
            as_json: bool = JSON,
            as_jsonl: bool = JSONL,
            as_csv: bool = CSV,
            *,
            conn: ConnectionFlags,
        ) -> None:
            fmt = _format(as_json, as_jsonl, as_csv)
            with errors_as_messages():
                component = _component()
                params = typed_pairs(param, component.action(search_action).properties, "--param")
                inputs = {**params, "term": term, "limit": limit}
                if exact:
                    inputs["exact_match"] = True
                component.validate(search_action, inputs, conn.api_version)  # type: ignore[arg-type]
                connection = conn.connection()
                rows = _collect(component, search_action, inputs, connection, every)
            columns = (*resource.columns, ("score", lambda r: r.get("result_score")))
            _emit_rows(rows, columns, fmt, f"{resource.name} matching {term!r}")

        search.__doc__ = f"Search {resource.name}."

    for verb in resource.verbs:
        _add_verb(app, verb, parse_id)
    missing = {
        command
        for command, action in (
            ("list", resource.list_action),
            ("get", resource.get_action),
            ("add", resource.add_action),
            ("update", resource.update_action),
            ("delete", resource.delete_action),
        )
        if not action
    }
    app.registered_commands = [c for c in app.registered_commands if c.name not in missing]
    if resource.name == "files":
        app.command("download")(connection_options()(download))
    return app


def download(
    file_id: int = typer.Argument(..., min=1, help="The file's id."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write the bytes (default: the file's name in this folder)."
    ),
    *,
    conn: ConnectionFlags,
) -> None:
    """Download a file's bytes (downloadFile) and write them to a local file."""
    import base64

    with errors_as_messages():
        component = _component()
        connection = conn.connection()
        details = component.run("getFile", {"id": file_id}, connection).get("data") or {}
        data = component.run("downloadFile", {"id": file_id}, connection).get("data") or {}
        content = base64.b64decode(data.get("content_base64") or "")
        name = Path(str(details.get("file_name") or f"file-{file_id}")).name  # never a path from the server
        target = output if output is not None else Path(name)
        target.write_bytes(content)
    typer.echo(f"wrote {len(content)} bytes to {target}")


# The columns a verb's list shows first (its rows have whatever shape the action returns).
PREFERRED_COLUMNS = (
    "id",
    "name",
    "title",
    "subject",
    "content",
    "product_id",
    "user_id",
    "status",
    "quantity",
)


def _getter(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(key)


def _add_verb(app: typer.Typer, verb: Verb, parse_id: Callable[[str], Any]) -> None:
    argument_help = f"The {verb.argument} input of {verb.action}." if verb.argument else ""

    def run_verb(
        value: str | None, param: list[str] | None, data: str | None, fmt: str, conn: ConnectionFlags
    ) -> None:
        with errors_as_messages():
            component = _component()
            action = component.action(verb.action)
            inputs = read_json_object(data, "--data") if data else {}
            inputs = merge(inputs, typed_pairs(param, action.properties, "--param"))
            inputs.update(dict(verb.fixed))
            if verb.argument is not None and value is not None:
                declared = action.property(verb.argument)
                numeric = declared is not None and declared.type == "INTEGER"
                inputs[verb.argument] = parse_id(value) if numeric else value
            component.validate(verb.action, inputs, conn.api_version)  # type: ignore[arg-type]
            output = component.run(verb.action, inputs, conn.connection())
        result = output.get("data")
        if isinstance(result, list):
            rows = [row for row in result if isinstance(row, dict)]
            seen = {key for row in rows[:50] for key in row}
            keys = [key for key in PREFERRED_COLUMNS if key in seen]
            keys += sorted(seen - set(keys))
            columns: tuple[Column, ...] = tuple((key, _getter(key)) for key in keys[:7])
            _emit_rows(rows, columns, fmt, verb.action)
        else:
            _emit_one(result, fmt)

    def without_argument(
        param: list[str] | None = PARAM,
        data: str | None = INPUT,
        as_json: bool = JSON,
        as_jsonl: bool = JSONL,
        as_csv: bool = CSV,
        *,
        conn: ConnectionFlags,
    ) -> None:
        run_verb(None, param, data, _format(as_json, as_jsonl, as_csv), conn)

    def with_argument(
        value: str = typer.Argument(..., help=argument_help, metavar=(verb.argument or "").upper()),
        param: list[str] | None = PARAM,
        data: str | None = INPUT,
        as_json: bool = JSON,
        as_jsonl: bool = JSONL,
        as_csv: bool = CSV,
        *,
        conn: ConnectionFlags,
    ) -> None:
        run_verb(value, param, data, _format(as_json, as_jsonl, as_csv), conn)

    command: Callable[..., None] = with_argument if verb.argument is not None else without_argument
    command.__doc__ = (
        f"Run {verb.action} (--param key=value and --data JSON pass its inputs; "
        f"see `pipedrive actions show {verb.action}`)."
    )
    app.command(verb.name)(connection_options()(command))


def request(
    method: str = typer.Argument(..., help="GET, POST, PUT, PATCH or DELETE, or an operationId (getNotes)."),
    path: str | None = typer.Argument(None, help="e.g. /v1/users/me (none after an operationId)."),
    data: str | None = typer.Option(None, "--data", "-d", help="JSON body, or @file.json."),
    param: list[str] | None = typer.Option(
        None, "--param", "-p", help="Query parameter key=value (repeatable)."
    ),
    *,
    conn: ConnectionFlags,
) -> None:
    """Send any request to the API and print the JSON answer.

    `pipedrive request getNotes --param deal_id=1`: with an operationId, --param fills its path
    parameters too (`pipedrive request getNote --param id=5`).
    """
    from pipedrive_connector.client import catalog as api_catalog  # the operation table, only when needed

    verb = method.upper()
    operation = None
    if verb not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        with errors_as_messages():
            operation = api_catalog.get(method)
        if path is not None:
            fail(f"{method} is an operationId: pass its path parameters with --param, not a PATH", 2)
    elif path is None:
        fail("missing PATH (e.g. /v1/users/me)", 2)
    with errors_as_messages():
        body = read_json_argument(data, "--data") if data else None
        params = text_pairs(param, "--param")
        if operation is not None:
            verb, path, params = api_catalog.route(operation, params)
        assert path is not None
        connection = conn.connection()
        with connection.client() as client:
            output = client.request(
                verb, path if path.startswith("/") else f"/{path}", params=params or None, json=body
            )
    print_json(output)


def register(app: typer.Typer) -> None:
    for resource in RESOURCES:
        app.add_typer(_build(resource), name=resource.name)
    app.command("request")(connection_options(api_version=False)(request))
