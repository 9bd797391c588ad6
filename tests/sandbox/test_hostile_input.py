"""Hostile values at every served write endpoint of the sandbox: a 4xx naming the problem, never a 5xx.

The routes come from the app itself (a new endpoint is covered without editing this file) and the
field names from Pipedrive's spec for each operation. Requests go over ``httpx.ASGITransport``
(about three times faster than the TestClient, which matters at a few thousand requests).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sandbox_testkit import TOKEN
from starlette.routing import Mount, Route

from pipedrive_connector.sandbox import SandboxSettings, create_app
from pipedrive_connector.sandbox.engine.spec_data import operations

# /_sandbox/faults exists to answer 5xx on purpose; /api/v1/... are aliases of /v1/... (same handlers).
_SKIPPED = re.compile(r"^(/_sandbox/faults|/api/v1/)")
_WRITE_METHODS = ("POST", "PUT", "PATCH")
_PARAM = re.compile(r"\{[^}]+\}")


def _write_routes() -> list[tuple[str, str]]:
    app = create_app(SandboxSettings(api_token=TOKEN, seed="empty"))
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, Mount):
                walk(list(route.routes), prefix + route.path)
            elif isinstance(route, Route):
                path = prefix + route.path
                if not _SKIPPED.match(path):
                    found.extend((m, path) for m in _WRITE_METHODS if m in (route.methods or ()))

    walk(list(app.routes), "")
    return sorted(set(found))


WRITE_ROUTES = _write_routes()

# Fields for the routes the spec does not document (the control plane, OAuth), and fields every
# entity route gets on top of its spec (v1 accepts add_time; custom fields are keyed by a hash).
_SANDBOX_FIELDS = (
    "seed", "time", "offset_seconds", "name", "redirect_uri", "redirect_uris", "client_id", "client_secret",
    "code", "grant_type", "refresh_token", "code_verifier", "code_challenge", "scope", "state", "token",
    "retry_delays", "timeout_seconds", "mode", "limit", "deals", "persons",
)  # fmt: skip
_EXTRA_FIELDS = ("add_time", "update_time", "0123456789abcdef0123456789abcdef01234567")

# A body the endpoint would accept, so that the hostile field is the only thing wrong with it.
_BASE_BODIES: dict[str, dict[str, Any]] = {
    "deals": {"title": "Hostile"},
    "persons": {"name": "Hostile"},
    "organizations": {"name": "Hostile"},
    "activities": {"subject": "Hostile", "type": "call"},
    "leads": {"title": "Hostile", "person_id": 1},
    "leadLabels": {"name": "Hostile", "color": "red"},
    "notes": {"content": "Hostile", "deal_id": 1},
    "comments": {"content": "Hostile"},
    "filters": {"name": "Hostile", "type": "deals"},
    "pipelines": {"name": "Hostile"},
    "stages": {"name": "Hostile", "pipeline_id": 1},
    "products": {"name": "Hostile"},
    "dealFields": {"name": "Hostile", "field_type": "varchar"},
    "personFields": {"name": "Hostile", "field_type": "varchar"},
    "organizationFields": {"name": "Hostile", "field_type": "varchar"},
    "webhooks": {"subscription_url": "http://127.0.0.1:9/hook", "event_action": "*", "event_object": "*"},
}

# Dates Python parses but cannot shift to UTC (OverflowError), and digits that match \d but are not ASCII.
_EXTREME_TIMES = (
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01 00:00:00",
    "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661T00:00:00Z",
)
# Raw JSON that parses into values that break later: a float overflow (1e400 is inf), integers too
# big for a float or SQLite, a lone surrogate (cannot be encoded), nesting near the recursion limit.
_HOSTILE_FRAGMENTS = (
    "9" * 4000,
    "1e400",
    '"\\ud800"',
    '{"value": 1e400}',
    "[" * 900 + "]" * 900,
)
_WHOLE_BODIES = (
    ("deep array", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("deep value", b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json"),
    ("deep object", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "application/json"),
    ("5000-digit integer", b'{"name": "x", "value": ' + b"9" * 5000 + b"}", "application/json"),
    ("NaN", b'{"name": "x", "value": NaN}', "application/json"),
    ("Infinity", b'{"name": "x", "value": Infinity}', "application/json"),
    ("-Infinity", b'{"name": "x", "value": -Infinity}', "application/json"),
    ("non-UTF-8 JSON", b'{"name": "\xff\xfe\xfd"}', "application/json"),
    ("non-UTF-8 form", b"name=\xff\xfe&title=%ff%fe", "application/x-www-form-urlencoded"),
    ("huge string", b'{"name": "' + b"x" * 2_000_000 + b'", "title": "x"}', "application/json"),
    ("huge form", b"name=" + b"x" * 2_000_000, "application/x-www-form-urlencoded"),
)


def _spec_properties(method: str, path: str) -> dict[str, dict[str, Any]]:
    shape = _PARAM.sub("{}", path)
    for key, op in operations().items():
        spec_method, spec_path = key.split(" ", 1)
        if spec_method == method and _PARAM.sub("{}", spec_path) == shape:
            properties: dict[str, dict[str, Any]] = (op.get("body") or {}).get("properties") or {}
            return properties
    return {}


def _field_cases(method: str, path: str) -> list[tuple[str, str]]:
    """(field, raw JSON value) pairs: every hostile fragment in every field, extreme times in time fields."""
    properties = _spec_properties(method, path)
    names = (*properties, *_EXTRA_FIELDS) if properties else _SANDBOX_FIELDS
    cases: list[tuple[str, str]] = []
    for name in dict.fromkeys(names):
        timelike = "time" in name or "date" in name or properties.get(name, {}).get("format") == "date"
        values = (*_HOSTILE_FRAGMENTS, *(json.dumps(t) for t in _EXTREME_TIMES if timelike))
        cases.extend((name, value) for value in values)
    return cases


def _base_body(path: str) -> dict[str, Any]:
    parts = [part for part in path.split("/") if part and not part.startswith("{")]
    return dict(next((_BASE_BODIES[part] for part in reversed(parts) if part in _BASE_BODIES), {}))


def _problem(response: httpx.Response) -> str | None:
    """Why this answer is wrong, or None: a 5xx, or a 4xx without a message."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:200]}"
    if response.status_code >= 400 and not response.text.strip():
        return f"{response.status_code} with an empty body"
    return None


async def _hostile_run(method: str, path: str) -> list[str]:
    app = create_app(SandboxSettings(api_token=TOKEN, seed="demo"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"x-api-token": TOKEN}
    failures: list[str] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as client,
    ):
        note = (await client.post("/v1/notes", json={"content": "n", "deal_id": 1})).json()["data"]["id"]
        comment = await client.post(f"/v1/notes/{note}/comments", json={"content": "c"})
        ids = {
            "leads": (await client.get("/v1/leads")).json()["data"][0]["id"],
            "leadLabels": (await client.get("/v1/leadLabels")).json()["data"][0]["id"],
            "notes": str(note),
        }
        collection = next((part for part in path.split("/") if part in ids), "")
        url = path.replace("{commentId}", comment.json()["data"]["uuid"]).replace(
            "{id}", ids.get(collection, "1")
        )
        url = _PARAM.sub("1", url)

        async def send(label: str, content: bytes, content_type: str) -> None:
            response = await client.request(
                method, url, content=content, headers={"content-type": content_type}
            )
            problem = _problem(response)
            if problem:
                failures.append(f"{label}: {problem}")

        for label, content, content_type in _WHOLE_BODIES:
            await send(label, content, content_type)
        base = _base_body(path)
        for field, fragment in _field_cases(method, path):
            rest = json.dumps({k: v for k, v in base.items() if k != field})[1:-1]
            body = "{" + (rest + ", " if rest else "") + json.dumps(field) + ": " + fragment + "}"
            await send(f"{field}={fragment[:30]}", body.encode(), "application/json")
            value = json.loads(fragment)
            if path.startswith("/v1/") and isinstance(value, str | int):  # v1 also takes forms
                form = urlencode({**base, field: value}, encoding="utf-8", errors="surrogatepass")
                await send(
                    f"form {field}={fragment[:30]}", form.encode(), "application/x-www-form-urlencoded"
                )
    return failures


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES, ids=[f"{m} {p}" for m, p in WRITE_ROUTES])
def test_no_5xx_on_hostile_bodies(method: str, path: str) -> None:
    failures = asyncio.run(_hostile_run(method, path))
    assert not failures, f"{len(failures)} 5xx answers:\n" + "\n".join(failures[:25])
