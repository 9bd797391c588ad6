"""Every catalog operation the sandbox serves, called through its generated method (sync and async) with
valid inputs built from the spec's examples, answers 2xx and parses into its generated response model.

``generated_inputs.Arranger`` builds the inputs: path ids name records the test creates first through
the catalog's own create operations, values follow the spec's examples and formats, and a short table
lists where a Pipedrive rule is stricter than the example. Any error answer fails the test with the
sandbox's message.

Operations the sandbox does not serve yet answer 501 and are left out (``sandbox/introspect.py``
lists the served ones); the list grows as the sandbox does.
"""

from __future__ import annotations

import io
import os
import typing
from pathlib import Path
from typing import Any

import httpx
import pytest
from generated_inputs import Arranger, Call, Control

from pipedrive_connector.client import AsyncPipedrive, ConfigurationError, Pipedrive, catalog
from pipedrive_connector.client._generated import Downloaded, Envelope, GeneratedModel, Operation
from pipedrive_connector.client.errors import PipedriveError
from pipedrive_connector.sandbox import SandboxSettings, create_app
from pipedrive_connector.sandbox.introspect import implements, served_operations

PREFIX = {"v1": "/v1", "v2": "/api/v2"}
# Read at collection time, as tests/conftest.py's shared_dir fixture finds it.
SHARED = Path(os.environ.get("PIPEDRIVE_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")


def _served() -> list[Operation]:
    app_operations = served_operations(create_app(SandboxSettings(seed="demo")))
    return [
        op
        for op in catalog.OPERATIONS
        if implements(app_operations, op.api, op.method, op.path[len(PREFIX[op.api]) :])
    ]


def _cases() -> list[Any]:
    return [pytest.param(op, id=op.python_name) for op in _served()]


CASES = _cases()
# Answers the spec types against its own other operations, so only the lenient parse can hold.
SPEC_CONTRADICTS_ITSELF = {
    # data.id typed integer, while discount ids are UUIDs (its own {discount_id} path is format uuid).
    "deal_discounts.delete",
}


def method_of(client: Pipedrive | AsyncPipedrive, op: Operation) -> Any:
    resource, name = op.python_name.split(".")
    return getattr(getattr(client.api, resource), name)


def response_model(pd: Pipedrive, op: Operation) -> Any:
    """The class the sync method's return annotation names (the async twin answers the same)."""
    return typing.get_type_hints(method_of(pd, op))["return"]


def sync_call(pd: Pipedrive) -> Call:
    def call(op: Operation, args: dict[str, Any]) -> Any:
        return method_of(pd, op)(**args)

    return call


def control(base_url: str) -> Control:
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(base_url + path, json=body)
        response.raise_for_status()
        data: dict[str, Any] = response.json()["data"]
        return data

    return post


def arranger(pd: Pipedrive, sandbox: Any, shared_dir: Path, tmp_path: Path) -> Arranger:
    return Arranger(sync_call(pd), control(sandbox.base_url), shared_dir, tmp_path)


def check_answer(pd: Pipedrive, op: Operation, args: dict[str, Any], answer: Any) -> None:
    expected = response_model(pd, op)
    assert isinstance(answer, expected), f"{op.python_name} answered {type(answer).__name__}"
    if op.download:
        assert isinstance(answer, Downloaded) and answer.size == Path(args["to"]).stat().st_size
        return
    assert isinstance(answer, Envelope) and answer.success is not False
    if op.python_name not in SPEC_CONTRADICTS_ITSELF:
        # The client keeps an answer whose types differ from the spec (built unvalidated): the sandbox
        # must answer the spec's types, so the answer has to validate too.
        type(answer).model_validate(answer.model_dump(by_alias=True, warnings=False))
    data = getattr(answer, "data", None)
    if isinstance(data, GeneratedModel) and "id" in type(data).model_fields:
        missing = f"{op.python_name} answered data without an id: {answer.to_dict()}"
        assert getattr(data, "id", None) is not None, missing


def failure(op: Operation, args: dict[str, Any], exc: PipedriveError) -> str:
    shown = {k: v for k, v in args.items() if not hasattr(v, "read")}
    return f"{op.operation_id} {op.method} {op.path} with {shown}: {exc}"


@pytest.mark.parametrize("op", CASES)
def test_a_served_operation_answers_2xx_and_parses(
    pipedrive_sandbox: Any, shared_dir: Path, tmp_path: Path, op: Operation
) -> None:
    with Pipedrive(
        api_token=pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, max_retries=0
    ) as pd:
        args = arranger(pd, pipedrive_sandbox, shared_dir, tmp_path).inputs(op)
        try:
            answer = method_of(pd, op)(**args)
        except PipedriveError as exc:
            pytest.fail(failure(op, args, exc))
        check_answer(pd, op, args, answer)


@pytest.mark.anyio
@pytest.mark.parametrize("op", CASES)
async def test_a_served_operation_answers_2xx_and_parses_async(
    pipedrive_sandbox: Any, shared_dir: Path, tmp_path: Path, op: Operation
) -> None:
    """The async twin of every served operation: arranged through the sync client, called awaited."""
    settings = {
        "api_token": pipedrive_sandbox.api_token,
        "base_url": pipedrive_sandbox.base_url,
        "max_retries": 0,
    }
    with Pipedrive(**settings) as pd:
        args = arranger(pd, pipedrive_sandbox, shared_dir, tmp_path).inputs(op)
        async with AsyncPipedrive(**settings) as apd:
            try:
                answer = await method_of(apd, op)(**args)
            except PipedriveError as exc:
                pytest.fail(failure(op, args, exc))
        check_answer(pd, op, args, answer)


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
