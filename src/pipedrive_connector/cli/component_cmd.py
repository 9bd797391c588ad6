"""``pipedrive manifest``, ``pipedrive actions list|show`` and ``pipedrive run ACTION``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from pipedrive_connector.cli._connect import ConnectionFlags, connection_options
from pipedrive_connector.cli._inputs import read_json_object, typed_pairs
from pipedrive_connector.cli._output import errors_as_messages, fail, print_json, print_table

if TYPE_CHECKING:
    from pipedrive_connector.component import Component
    from pipedrive_connector.component.model import Action

actions_app = typer.Typer(help="The component's actions.", no_args_is_help=True)


def _component() -> Component:
    from pipedrive_connector.component import Component

    return Component()


def manifest(
    indent: int = typer.Option(2, "--indent", min=0, help="JSON indentation (0: one line)."),
) -> None:
    """Print the whole component (connections, triggers, actions, JSON Schemas) as JSON."""
    import json

    typer.echo(json.dumps(_component().manifest(), indent=indent or None, ensure_ascii=False))


def _flags(action: Action) -> str:
    marks = ["extra"] if action.extra else []
    if action.read_only:
        marks.append("read-only")
    if action.destructive:
        marks.append("destructive")
    return ", ".join(marks)


@actions_app.command("list")
def list_actions(
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
    seed_only: bool = typer.Option(False, "--seed", help="Only the seed's 20 actions."),
    resource: str | None = typer.Option(None, "--resource", "-r", help="Only this resource (e.g. notes)."),
) -> None:
    """List the actions grouped by resource: name, title, properties, flags."""
    actions = [a for a in _component().actions if not (seed_only and a.extra)]
    groups: dict[str, list[Action]] = {}
    for action in actions:
        groups.setdefault(action.resource or "other", []).append(action)
    if resource is not None:
        if resource not in groups:
            fail(f"no resource {resource!r} (resources: {', '.join(groups)})", 2)
        groups = {resource: groups[resource]}
    if as_json:
        print_json(
            [
                {
                    "name": a.name,
                    "title": a.title,
                    "resource": a.resource,
                    "extra": a.extra,
                    "read_only": a.read_only,
                    "destructive": a.destructive,
                    "properties": [p.name for p in a.properties],
                }
                for group in groups.values()
                for a in group
            ]
        )
        return
    for name, group in groups.items():
        print_table(
            [{"a": a} for a in group],
            [
                ("name", lambda r: r["a"].name),
                ("title", lambda r: r["a"].title),
                (
                    "properties",
                    lambda r: ", ".join(p.name + ("*" if p.required else "") for p in r["a"].properties),
                ),
                ("flags", lambda r: _flags(r["a"])),
            ],
            title=f"{name} ({len(group)} actions, * = required)",
        )


@actions_app.command("show")
def show_action(
    name: str = typer.Argument(..., help="Action name, e.g. getDeals."),
    as_json: bool = typer.Option(False, "--json", help="Print the action's manifest entry as JSON."),
) -> None:
    """Show one action's properties (labels, types, control types, options) and input schema."""
    with errors_as_messages():
        action = _component().action(name)
    entry = next(a for a in _component().manifest()["actions"] if a["name"] == name)
    if as_json:
        print_json(entry)
        return
    typer.echo(f"{action.name}: {action.title}{'  (extra)' if action.extra else ''}\n{action.description}\n")
    rows: list[dict[str, Any]] = []

    def walk(props: list[dict[str, Any]], prefix: str = "") -> None:
        for p in props:
            rows.append({**p, "name": prefix + p["name"]})
            walk(p.get("properties", []), prefix + p["name"] + ".")
            if p.get("items", {}).get("properties"):
                walk(p["items"]["properties"], prefix + p["name"] + "[].")

    walk(entry["properties"])
    print_table(
        rows,
        [
            ("name", lambda r: r["name"]),
            ("label", lambda r: r["label"]),
            ("type", lambda r: r["type"]),
            ("control", lambda r: r["control_type"]),
            ("required", lambda r: "yes" if r["required"] else ""),
            (
                "options",
                lambda r: (
                    ", ".join(str(o["value"]) for o in r.get("options", []))
                    or (f"loader: {r['options_loader']['name']}" if r.get("options_loader") else "")
                ),
            ),
        ],
    )


@actions_app.command("options")
@connection_options()
def action_options(
    action: str = typer.Argument(..., help="Action name, e.g. addDeal."),
    prop: str = typer.Argument(..., help="Property, dotted for nested ones: deal.stage_id."),
    search: str | None = typer.Option(None, "--search", "-q", help="Only options whose label contains this."),
    param: list[str] | None = typer.Option(
        None, "--param", "-p", help="A value it depends on, e.g. pipeline_id=2 for stages."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    *,
    conn: ConnectionFlags,
) -> None:
    """List the choices of a SELECT property (loaded from Pipedrive: every page)."""
    with errors_as_messages():
        component = _component()
        inputs = typed_pairs(param, component.action(action).properties, "--param")
        connection = conn.connection()
        found = component.options(action, prop, connection, inputs=inputs, search=search)
    rows = [{"value": o.value, "label": o.label} for o in found]
    if as_json:
        print_json(rows)
    else:
        print_table(
            rows, [("value", lambda r: r["value"]), ("label", lambda r: r["label"])], title=f"{action} {prop}"
        )


def run(
    action: str = typer.Argument(..., help="Action name (see `pipedrive actions list`)."),
    input_: str = typer.Option("{}", "--input", "-i", help="Input as JSON, or @file.json (@- for stdin)."),
    raw_custom_fields: bool = typer.Option(
        False, "--raw-custom-fields", help="Keep custom fields under their hash keys."
    ),
    *,
    conn: ConnectionFlags,
) -> None:
    """Validate the input, run the action, print its output as JSON."""
    component = _component()
    with errors_as_messages():
        inputs = read_json_object(input_, "--input")
        component.validate(action, inputs, conn.api_version)  # type: ignore[arg-type]
        connection = conn.connection()
        output = component.run(action, inputs, connection, raw_custom_fields=raw_custom_fields)
    print_json(output)


def register(app: typer.Typer) -> None:
    app.command("manifest")(manifest)
    app.command("run")(connection_options()(run))
    app.add_typer(actions_app, name="actions")
