"""Every catalog operation the sandbox serves, called through its generated method with inputs built
from the spec's examples, answers 2xx and parses into its generated model.

Where the demo seed lacks the record an example names (a field code, a discount id) the sandbox answers
4xx: that operation is reported as xfail with the sandbox's message; a 5xx, a 405/415/501 or a client
error before sending fails the test.

Operations the sandbox does not serve yet answer 501 and are left out (``sandbox/introspect.py``
lists the served ones); the list grows as the sandbox does.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from pipedrive_connector.client import AsyncPipedrive, ConfigurationError, Pipedrive, catalog
from pipedrive_connector.client._generated import Downloaded, Envelope, GeneratedModel, Operation
from pipedrive_connector.client.errors import PipedriveError
from pipedrive_connector.sandbox import SandboxSettings, create_app
from pipedrive_connector.sandbox.introspect import implements, served_operations

SHARED = Path(__file__).resolve().parents[3] / "shared"
PREFIX = {"v1": "/v1", "v2": "/api/v2"}


def _served() -> list[Operation]:
    app_operations = served_operations(create_app(SandboxSettings(seed="demo")))
    return [
        op
        for op in catalog.OPERATIONS
        if implements(app_operations, op.api, op.method, op.path[len(PREFIX[op.api]) :])
    ]


SERVED = _served()
_SPECS: dict[str, dict[str, Any]] = {}


def spec_operation(shared_dir: Path, op: Operation) -> dict[str, Any]:
    if op.api not in _SPECS:
        text = (shared_dir / "pipedrive" / f"openapi-{op.api}.yaml").read_text(encoding="utf-8")
        _SPECS[op.api] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    raw: dict[str, Any] = _SPECS[op.api]["paths"][op.path[len(PREFIX[op.api]) :]][op.method.lower()]
    return raw


def example_of(schema: dict[str, Any], example: Any = None) -> Any:
    if example is not None:
        return example
    for key in ("example", "default"):
        if schema.get(key) is not None:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    return {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}.get(str(kind), "Example")


def merged(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema with its allOf parts folded in."""
    out = dict(schema)
    for part in schema.get("allOf") or []:
        sub = merged(part)
        out["properties"] = {**(out.get("properties") or {}), **(sub.get("properties") or {})}
        out["required"] = [*(out.get("required") or []), *(sub.get("required") or [])]
    return out


def inputs(shared_dir: Path, op: Operation, lead: str) -> dict[str, Any]:
    """Keyword arguments for ``op``'s method: every path and required parameter, and the body's
    example fields, from the spec's examples (ids: 1, a seeded lead's UUID for UUID paths)."""
    raw = spec_operation(shared_dir, op)
    args: dict[str, Any] = {}
    by_wire = {p.wire: p for p in op.params}
    for param in raw.get("parameters") or []:
        mine = by_wire.get(param["name"])
        if mine is None:
            continue
        schema = param.get("schema") or {}
        if mine.where == "path":
            args[mine.name] = lead if mine.kind == "uuid" else 1 if mine.kind == "integer" else "Example"
        elif param.get("required"):
            args[mine.name] = example_of(schema, param.get("example"))
    content = (raw.get("requestBody") or {}).get("content") or {}
    for media in content.values():
        schema = merged(media.get("schema") or {})
        required = set(schema.get("required") or [])
        for wire, prop in (schema.get("properties") or {}).items():
            mine = by_wire.get(wire)
            if mine is None:
                continue
            if mine.where == "file":
                upload = io.BytesIO(b"hello from the generated client")
                upload.name = "hello.txt"
                args[mine.name] = upload
            elif wire in required or "example" in prop:
                args[mine.name] = example_of(prop)
    return args


def call(pd: Pipedrive, op: Operation, args: dict[str, Any]) -> Any:
    resource, name = op.python_name.split(".")
    return getattr(getattr(pd.api, resource), name)(**args)


@pytest.mark.parametrize("op", SERVED, ids=[op.python_name for op in SERVED])
def test_a_served_operation_answers_2xx_and_parses(
    pipedrive_sandbox: Any, shared_dir: Path, tmp_path: Path, op: Operation
) -> None:
    with Pipedrive(
        api_token=pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, max_retries=0
    ) as pd:
        leads = pd.request("GET", "/v1/leads", params={"limit": 1})["data"] or [{"id": str(uuid.uuid4())}]
        args = inputs(shared_dir, op, leads[0]["id"])
        if op.download:
            args["to"] = tmp_path / "downloaded"
        try:
            answer = call(pd, op, args)
        except PipedriveError as exc:
            status = exc.status_code or 0
            if 400 <= status < 500 and status not in (405, 415, 501):
                # The sandbox refused the spec's example inputs (an id or field code the demo seed
                # lacks, a date the example leaves out): the request was well-formed, the record is
                # missing. Counted as xfail so the gap stays visible.
                pytest.xfail(f"example inputs refused with {status}: {exc}")
            pytest.fail(f"{op.operation_id} {op.method} {op.path} with {args}: {exc}")
    if op.download:
        assert isinstance(answer, Downloaded) and answer.size == (tmp_path / "downloaded").stat().st_size
        return
    assert isinstance(answer, Envelope)
    assert answer.success is not False


@pytest.mark.anyio
async def test_files_upload_from_a_path_and_a_file_object_and_stream_back(
    pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB, more than one streamed chunk
    source = tmp_path / "report.bin"
    source.write_bytes(payload)
    settings = {"api_token": pipedrive_sandbox.api_token, "base_url": pipedrive_sandbox.base_url}
    with Pipedrive(**settings) as pd:
        from_path = pd.files.upload(file=source, deal_id=1)
        assert from_path.data is not None and from_path.data.file_name == "report.bin"
        with source.open("rb") as handle:
            from_object = pd.files.upload(file=handle, person_id=1)
        assert from_object.data is not None and from_object.data.id != from_path.data.id
        assert from_path.data.id is not None
        done = pd.files.download(from_path.data.id, to=tmp_path / "back.bin")
        assert (tmp_path / "back.bin").read_bytes() == payload and done.size == len(payload)
        with pytest.raises(PipedriveError) as missing:
            pd.files.download(999999, to=tmp_path / "never.bin")
        assert missing.value.status_code == 404
        with pytest.raises(ConfigurationError, match="no such file"):
            pd.files.upload(file=tmp_path / "absent.bin")
        with pytest.raises(ConfigurationError, match="invalid id"):
            pd.files.download("../deals/1", to=tmp_path / "x")  # type: ignore[arg-type]
    async with AsyncPipedrive(**settings) as apd:
        uploaded = await apd.files.upload(file=io.BytesIO(payload[:1000]), deal_id=1)
        assert uploaded.data is not None and uploaded.data.id is not None
        sink = io.BytesIO()
        await apd.files.download(uploaded.data.id, to=sink)
        assert sink.getvalue() == payload[:1000]


@pytest.mark.anyio
async def test_iterate_walks_every_page_with_the_largest_page_size(pipedrive_sandbox: Any) -> None:
    """v1 start/limit (notes) and v2 cursors (deals): iterate() asks for the largest page Pipedrive
    allows and yields every record as a typed item, in the same order as the pages."""
    settings = {"api_token": pipedrive_sandbox.api_token, "base_url": pipedrive_sandbox.base_url}
    sent: list[str] = []

    def hook(request: httpx.Request) -> None:
        sent.append(str(request.url))

    with Pipedrive(**settings, http_client=httpx.Client(event_hooks={"request": [hook]})) as pd:
        for index in range(3):
            pd.notes.add(content=f"note {index}", deal_id=1)
        notes = list(pd.notes.iterate(deal_id=1))
        assert [n.content for n in notes][-3:] == ["note 0", "note 1", "note 2"]
        assert all(isinstance(n, GeneratedModel) for n in notes)
        assert "limit=500" in sent[-1] and "start=0" not in sent[-1]
        deals = list(pd.api.deals.iterate())
        assert [d.id for d in deals] == [d.id for d in pd.deals.iterate()]
        assert "limit=500" in sent[-2]
    async with AsyncPipedrive(**settings) as apd:
        assert [d.id async for d in apd.api.deals.iterate()] == [d.id for d in deals]
        assert len([n async for n in apd.notes.iterate(deal_id=1)]) == len(notes)


def test_iterate_follows_cursors_and_offsets_across_pages() -> None:
    """The next page's params come from additional_data (v2 next_cursor, v1 pagination.next_start)."""
    from pipedrive_connector.client._generated import page_operation

    op = catalog.get("getNotes")
    pages = page_operation(op, GeneratedModel, {"deal_id": 1, "limit": 2})
    request = next(pages)
    assert request.params == {"deal_id": 1, "limit": 2}
    with pytest.raises(StopIteration) as done:
        pages.send(
            {
                "data": [{"id": 1}, {"id": 2}],
                "additional_data": {"pagination": {"more_items_in_collection": True, "next_start": 2}},
            }
        )
    items, following = done.value.value
    assert [i.id for i in items] == [1, 2] and following == {"deal_id": 1, "limit": 2, "start": 2}
    cursor = page_operation(catalog.get("getDeals"), GeneratedModel, {"limit": 500})
    next(cursor)
    with pytest.raises(StopIteration) as last:
        cursor.send({"data": [{"id": 9}], "additional_data": {"next_cursor": "abc"}})
    assert last.value.value[1] == {"limit": 500, "cursor": "abc"}


def test_an_answer_whose_types_differ_from_the_spec_still_parses() -> None:
    """Pipedrive answers types the spec does not list (a string id, an object for a number): the
    item is kept as it came instead of failing the whole page."""
    from pipedrive_connector.client._generated import lenient
    from pipedrive_connector.client.generated.notes import GetNotesItem

    typed = lenient(GetNotesItem, {"id": 5, "content": "x", "new_key": [1]})
    assert typed.id == 5 and typed.model_extra == {"new_key": [1]}
    odd = lenient(GetNotesItem, {"id": "not-a-number", "content": None})
    assert odd.id == "not-a-number" and odd.content is None
