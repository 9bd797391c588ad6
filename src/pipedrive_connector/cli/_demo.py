"""The ``pipedrive demo`` scenario: an in-process sandbox, every action, every trigger, a report.

No account and no network beyond loopback: the sandbox and the webhook receiver both listen on
127.0.0.1. The scenario creates its own records, so it runs the same on any seeded sandbox.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pipedrive_connector.cli._demo_receivers import DemoReceiver, open_receiver
from pipedrive_connector.component import Component, Connection
from pipedrive_connector.component.context import ApiVersion


@dataclass
class Step:
    kind: str  # "connection" | "action" | "trigger"
    name: str
    title: str
    ok: bool
    seconds: float
    detail: str
    api_version: str = ""
    extra: bool = False


@dataclass
class DemoReport:
    sandbox_url: str = ""
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    def actions_passed(self) -> str:
        """``20/20 seed actions + 4/4 extras``, per API version when more than one ran."""
        actions = [s for s in self.steps if s.kind == "action"]
        versions = list(dict.fromkeys(s.api_version for s in actions))
        parts = []
        for version in versions:
            ran = [s for s in actions if s.api_version == version]
            seed = [s for s in ran if not s.extra]
            extras = [s for s in ran if s.extra]
            text = f"{sum(s.ok for s in seed)}/{len(seed)} seed actions"
            if extras:
                text += f" + {sum(s.ok for s in extras)}/{len(extras)} extras"
            parts.append(text + (f" ({version})" if len(versions) > 1 else ""))
        return ", ".join(parts) or "no actions"

    def to_dict(self) -> dict[str, Any]:
        counts = {kind: sum(1 for s in self.steps if s.kind == kind) for kind in ("action", "trigger")}
        actions = [s for s in self.steps if s.kind == "action"]
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "sandbox_url": self.sandbox_url,
            "actions": counts["action"],
            "seed_actions": sum(1 for s in actions if not s.extra),
            "extra_actions": sum(1 for s in actions if s.extra),
            "triggers": counts["trigger"],
            "failed": [f"{s.kind} {s.name}" for s in self.steps if not s.ok],
            "steps": [asdict(s) for s in self.steps],
        }


OnStep = Callable[[Step], None]


class Scenario:
    """Runs actions and records each as a step; later steps read ids from earlier outputs."""

    def __init__(
        self, connection: Connection, version: ApiVersion, report: DemoReport, on_step: OnStep
    ) -> None:
        self.component = Component()
        self.connection = connection
        self.version = version
        self.report = report
        self.on_step = on_step

    def add(self, step: Step) -> None:
        self.report.steps.append(step)
        self.on_step(step)

    def run(
        self,
        name: str,
        inputs: dict[str, Any],
        check: Callable[[dict[str, Any]], str],
        needs: tuple[tuple[str, Any], ...] = (),
    ) -> dict[str, Any]:
        """Run one action; ``needs`` are (what, id) pairs from earlier steps (missing: skipped)."""
        action = self.component.action(name)
        started = time.perf_counter()
        output: dict[str, Any] = {}
        missing = [what for what, value in needs if value is None]
        if missing:
            self.add(
                Step(
                    "action",
                    name,
                    action.title,
                    False,
                    0.0,
                    f"skipped: no {', '.join(missing)} (an earlier step failed)",
                    self.version,
                    action.extra,
                )
            )
            return output
        try:
            output = self.component.run(name, inputs, self.connection, api_version=self.version)
            detail = check(output)
            ok = True
        except Exception as error:  # the demo reports every failure and carries on
            detail = f"{type(error).__name__}: {' '.join(str(error).split())}"[:200]
            ok = False
        self.add(
            Step(
                "action",
                name,
                action.title,
                ok,
                time.perf_counter() - started,
                detail,
                self.version,
                action.extra,
            )
        )
        return output


def _data(output: dict[str, Any]) -> Any:
    if not output.get("success", False):
        raise AssertionError("success is not true")
    return output.get("data")


def _listed(output: dict[str, Any]) -> str:
    items = _data(output)
    if not isinstance(items, list):
        raise AssertionError("data is not a list")
    more = ((output.get("additional_data") or {}).get("pagination") or {}).get("more_items_in_collection")
    return f"{len(items)} items" + (", more available" if more else "")


def _found(item_id: Any) -> Callable[[dict[str, Any]], str]:
    def check(output: dict[str, Any]) -> str:
        items = (_data(output) or {}).get("items") or []
        ids = [(i.get("item") or {}).get("id") for i in items]
        if item_id not in ids:
            raise AssertionError(f"id {item_id} not among {len(items)} results")
        return f"{len(items)} results, includes id {item_id}"

    return check


def _is(key: str, expected: Any) -> Callable[[dict[str, Any]], str]:
    def check(output: dict[str, Any]) -> str:
        data = _data(output) or {}
        if data.get(key) != expected:
            raise AssertionError(f"{key} is {data.get(key)!r}, expected {expected!r}")
        return f"id {data.get('id')}: {key} = {expected!r}"

    return check


def _deleted(item_id: Any) -> Callable[[dict[str, Any]], str]:
    def check(output: dict[str, Any]) -> str:
        if (_data(output) or {}).get("id") != item_id:
            raise AssertionError("the deleted id does not match")
        return f"deleted id {item_id}"

    return check


def _id(output: dict[str, Any]) -> Any:
    data = output.get("data")
    return data.get("id") if isinstance(data, dict) else None


def run_actions(s: Scenario, tag: str) -> dict[str, Any]:
    """The 20 seed actions (and the extras that fire the update and activity triggers). Returns ids."""
    ids: dict[str, Any] = {}
    org_name, person_name = f"Demo Org {tag}", f"Demo Person {tag}"
    email = f"demo.{tag}@example.com"
    deal_title, lead_title = f"Demo Deal {tag}", f"Demo Lead {tag}"

    deals = s.run("getDeals", {"limit": 5}, _listed)
    first_deal: dict[str, Any] = next(iter(_data(deals) or []), {}) if deals else {}
    if first_deal:
        s.run("getDealDetails", {"id": first_deal["id"]}, _is("title", first_deal.get("title")))
    else:
        s.run("getDealDetails", {"id": 1}, _is("id", 1))

    org = s.run("addOrganization", {"organization": {"name": org_name}}, _is("name", org_name))
    ids["organization"] = _id(org)
    org_needs = (("organization", ids["organization"]),)
    s.run("getOrganizations", {"limit": 5}, _listed)
    s.run("getOrganizationDetails", {"id": ids["organization"]}, _is("name", org_name), org_needs)
    s.run(
        "searchOrganizations", {"term": org_name, "exact_match": True}, _found(ids["organization"]), org_needs
    )
    s.run(
        "updateOrganization",
        {"id": ids["organization"], "organization": {"name": f"{org_name} Ltd"}},
        _is("name", f"{org_name} Ltd"),
        org_needs,
    )

    person = s.run(
        "addPerson",
        {
            "person": {
                "name": person_name,
                "org_id": ids["organization"],
                "email": [{"value": email, "primary": True, "label": "work"}],
            }
        },
        _is("name", person_name),
    )
    ids["person"] = _id(person)
    person_needs = (("person", ids["person"]),)
    s.run("getPersons", {"limit": 5}, _listed)
    s.run("getPersonDetails", {"id": ids["person"]}, _is("name", person_name), person_needs)
    s.run("searchPersons", {"term": email, "fields": "email"}, _found(ids["person"]), person_needs)
    s.run(
        "updatePerson",
        {"id": ids["person"], "person": {"name": f"{person_name} Jr"}},
        _is("name", f"{person_name} Jr"),
        person_needs,
    )

    deal = s.run(
        "addDeal",
        {
            "deal": {
                "title": deal_title,
                "value": 4200,
                "currency": "EUR",
                "person_id": ids["person"],
                "org_id": ids["organization"],
                "custom_fields": {"Region": "EMEA"},
            }
        },
        _is("title", deal_title),
    )
    ids["deal"] = _id(deal)
    deal_needs = (("deal", ids["deal"]),)
    s.run("searchDeals", {"term": deal_title, "exact_match": True}, _found(ids["deal"]), deal_needs)
    s.run("updateDeal", {"id": ids["deal"], "deal": {"status": "won"}}, _is("status", "won"), deal_needs)

    s.run(
        "addActivity",
        {
            "activity": {
                "subject": f"Call {person_name}",
                "type": "call",
                "deal_id": ids["deal"],
                "person_id": ids["person"],
            }
        },
        _is("subject", f"Call {person_name}"),
    )

    ids.update(run_deal_extras(s, deal, tag))

    s.run("getLeads", {"limit": 5}, _listed)
    lead = s.run(
        "addLead",
        {
            "lead": {
                "title": lead_title,
                "person_id": ids["person"],
                "organization_id": ids["organization"],
                "value": {"amount": 1000, "currency": "USD"},
            }
        },
        _is("title", lead_title),
    )
    ids["lead"] = _id(lead)
    lead_needs = (("lead", ids["lead"]),)
    s.run("getLeadDetails", {"id": ids["lead"]}, _is("title", lead_title), lead_needs)
    s.run("searchLeads", {"term": lead_title}, _found(ids["lead"]), lead_needs)
    s.run("deleteLead", {"id": ids["lead"]}, _deleted(ids["lead"]), lead_needs)
    s.run("deleteDeal", {"id": ids["deal"]}, _deleted(ids["deal"]), deal_needs)
    s.run("deletePerson", {"id": ids["person"]}, _deleted(ids["person"]), person_needs)
    s.run("deleteOrganization", {"id": ids["organization"]}, _deleted(ids["organization"]), org_needs)
    return ids


def _other_stage(deal: dict[str, Any]) -> Callable[[dict[str, Any]], str]:
    def check(output: dict[str, Any]) -> str:
        stages = [stage["id"] for stage in _data(output) if stage["id"] != deal.get("stage_id")]
        if not stages:
            raise AssertionError("the pipeline has no other stage")
        deal["next_stage"] = stages[0]
        return f"{len(stages) + 1} stages, moving to {stages[0]}"

    return check


def run_deal_extras(s: Scenario, added_deal: dict[str, Any], tag: str) -> dict[str, Any]:
    """A note, a product and a file on the deal (uploaded, then downloaded), and a stage change
    (fires dealStageChanged)."""
    ids: dict[str, Any] = {}
    deal_id = _id(added_deal)
    needs = (("deal", deal_id),)
    content = f"Demo note {tag}"
    note = s.run(
        "addNote", {"note": {"content": content, "deal_id": deal_id}}, _is("content", content), needs
    )
    ids["note"] = _id(note)
    s.run("getNotes", {"deal_id": deal_id}, _listed, needs)
    product_name = f"Demo Product {tag}"
    product = s.run(
        "addProduct",
        {"product": {"name": product_name, "prices": [{"price": 99, "currency": "EUR"}]}},
        _is("name", product_name),
    )
    ids["product"] = _id(product)
    s.run(
        "addProductToDeal",
        {"deal_id": deal_id, "product": {"product_id": ids["product"], "item_price": 99, "quantity": 3}},
        _is("quantity", 3),
        (*needs, ("product", ids["product"])),
    )
    s.run("getDealProducts", {"deal_id": deal_id}, _listed, needs)
    quote = f"Quote for deal {deal_id} ({tag})".encode()
    encoded = base64.b64encode(quote).decode("ascii")
    uploaded = s.run(
        "uploadFile",
        {"content_base64": encoded, "file_name": f"quote-{tag}.txt", "deal_id": deal_id},
        _is("file_size", len(quote)),
        needs,
    )
    ids["file"] = _id(uploaded)
    s.run("downloadFile", {"id": ids["file"]}, _is("content_base64", encoded), (("file", ids["file"]),))
    deal = dict(added_deal.get("data") or {})
    s.run("getStages", {"pipeline_id": deal.get("pipeline_id")}, _other_stage(deal), needs)
    s.run(
        "moveDealToStage",
        {"id": deal_id, "stage_id": deal.get("next_stage")},
        _is("stage_id", deal.get("next_stage")),
        (*needs, ("stage", deal.get("next_stage"))),
    )
    return ids


TRIGGER_ENTITY = {
    "newActivity": "activity",
    "newDeal": "deal",
    "newOrganization": "organization",
    "newPerson": "person",
    "updatedDeal": "deal",
    "updatedOrganization": "organization",
    "updatedPerson": "person",
    "newNote": "note",
    "newProduct": "product",
    "dealStageChanged": "deal",
}


def _wait_for_triggers(
    receiver: DemoReceiver | None,
    ids: dict[str, Any],
    started: float,
    timeout: float,
    report: DemoReport,
    on_step: OnStep,
) -> None:
    from pipedrive_connector.cli._demo_receivers import DEMO_TRIGGERS

    deadline = time.monotonic() + timeout
    for name, definition in DEMO_TRIGGERS.items():
        entity = TRIGGER_ENTITY.get(name, definition.event_object)
        expected = ids.get(entity)

        def wanted(event: Any, expected: Any = expected) -> bool:
            return expected is None or str(event.entity_id) == str(expected)

        hit = receiver.wait_for(name, wanted, deadline) if receiver is not None else None
        if hit is None:
            step = Step(
                "trigger",
                name,
                definition.title,
                False,
                time.monotonic() - started,
                f"no {definition.event_object} {definition.action} event within {timeout:g}s"
                if receiver is not None
                else "not enabled (no webhook receiver)",
            )
        else:
            seen_at, event = hit
            record = definition.output(event) or {}
            label = record.get("title") or record.get("name") or record.get("subject") or ""
            step = Step(
                "trigger",
                name,
                definition.title,
                True,
                seen_at - started,
                f"{event.object} {event.entity_id} {event.action} (webhook v{event.version}) {label}".strip(),
            )
        report.steps.append(step)
        on_step(step)


def _step(report: DemoReport, notify: OnStep, step: Step) -> None:
    report.steps.append(step)
    notify(step)


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:200]


def run_demo(
    *,
    legacy: bool = False,
    trigger_timeout: float = 15.0,
    receiver_kind: str = "trigger-app",
    on_step: OnStep | None = None,
) -> DemoReport:
    """Start a seeded sandbox and a receiver, enable the triggers, run the actions, wait, report."""
    from pipedrive_connector.cli._demo_receivers import DEMO_TRIGGERS
    from pipedrive_connector.sandbox import SandboxSettings, run_sandbox

    notify = on_step or (lambda step: None)
    report = DemoReport()
    started = time.perf_counter()
    settings = SandboxSettings(seed="demo", webhook_retry_delays=(0.2, 0.5, 1.0))
    with run_sandbox(settings) as sandbox:
        report.sandbox_url = sandbox.base_url
        connection = Connection.api_key(sandbox.api_token, base_url=sandbox.base_url)
        t0 = time.perf_counter()
        try:
            message, ok = connection.test().message, True
        except Exception as error:
            message, ok = _error_text(error), False
        _step(
            report,
            notify,
            Step(
                "connection",
                "API Key",
                "Connection test (GET /v1/users/me)",
                ok,
                time.perf_counter() - t0,
                message,
            ),
        )
        with contextlib.ExitStack() as stack:
            t0 = time.perf_counter()
            title = f"Enable the {len(DEMO_TRIGGERS)} triggers (POST /v1/webhooks)"
            receiver: DemoReceiver | None = None
            try:
                receiver = stack.enter_context(open_receiver(receiver_kind, connection))
                count = receiver.enable_all()
                _step(
                    report,
                    notify,
                    Step(
                        "connection",
                        "webhooks",
                        title,
                        True,
                        time.perf_counter() - t0,
                        f"{count} webhooks -> {receiver.url} ({receiver_kind})",
                    ),
                )
            except Exception as error:
                _step(
                    report,
                    notify,
                    Step(
                        "connection", "webhooks", title, False, time.perf_counter() - t0, _error_text(error)
                    ),
                )
            trigger_start = time.monotonic()
            ids = run_actions(Scenario(connection, "v2", report, notify), secrets.token_hex(3))
            _wait_for_triggers(receiver, ids, trigger_start, trigger_timeout, report, notify)
        from pipedrive_connector.cli._demo_mcp import mcp_step

        _step(report, notify, mcp_step(sandbox.base_url, sandbox.api_token))
        if legacy:
            legacy_connection = Connection.api_key(
                sandbox.api_token, base_url=sandbox.base_url, api_version="v1"
            )
            run_actions(Scenario(legacy_connection, "v1", report, notify), secrets.token_hex(3))
    report.seconds = time.perf_counter() - started
    return report
