"""The generated async classes are the sync methods themselves (``client/_twins.py``): every method of
every sync class is on its async twin with the same signature and docstring, the twins run over HTTP
against the sandbox, and mypy types them as awaitables and async iterators."""

from __future__ import annotations

import importlib
import inspect
import io
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from pipedrive_connector.client import AsyncPipedrive, ConfigurationError, Pipedrive, PipedriveError, catalog
from pipedrive_connector.client._generated import Downloaded, GeneratedModel
from pipedrive_connector.client._twins import async_iterated, awaited
from pipedrive_connector.client.generated import RESOURCES

REPO = Path(__file__).resolve().parents[2]


def resource_classes() -> list[tuple[str, type, type]]:
    out = []
    for name in RESOURCES:
        module = importlib.import_module(f"pipedrive_connector.client.generated.{name}")
        sync_name = "".join(part.capitalize() for part in name.split("_"))
        out.append((name, getattr(module, sync_name), getattr(module, f"Async{sync_name}")))
    return out


def public_methods(cls: type) -> dict[str, Any]:
    return {k: v for k, v in vars(cls).items() if not k.startswith("_") and callable(v)}


def test_every_sync_method_has_an_async_twin_with_its_signature_and_docstring() -> None:
    classes = resource_classes()
    assert len(classes) == len(RESOURCES) > 80
    checked = iterators = 0
    for name, sync_cls, async_cls in classes:
        sync_methods, async_methods = public_methods(sync_cls), public_methods(async_cls)
        assert sync_methods.keys() == async_methods.keys(), name
        for method, sync_fn in sync_methods.items():
            twin = getattr(async_cls, method)
            where = f"{async_cls.__name__}.{method}"
            sync_sig, twin_sig = inspect.signature(sync_fn), inspect.signature(twin)
            assert list(twin_sig.parameters.values()) == list(sync_sig.parameters.values()), where
            assert twin.__doc__ == sync_fn.__doc__ and twin.__doc__, where
            assert twin.__qualname__ == where and twin.__module__ == sync_fn.__module__
            returned = str(sync_sig.return_annotation)
            if method.startswith("iterate"):
                iterators += 1
                assert returned.startswith("Iterator[") and not inspect.iscoroutinefunction(twin), where
                assert twin_sig.return_annotation == "Async" + returned, where
                assert twin.__code__ is sync_fn.__code__, where  # the same body, no wrapper
            else:
                assert inspect.iscoroutinefunction(twin), where
                assert twin_sig.return_annotation == returned, where  # what the await gives
                assert twin.__wrapped__ is sync_fn, where
            checked += 1
    paginated = [op for op in catalog.OPERATIONS if op.paging != "none"]
    assert (checked, iterators) == (len(catalog.OPERATIONS) + len(paginated), len(paginated))


def test_the_twins_resolve_their_type_hints() -> None:
    from pipedrive_connector.client.generated.notes import AsyncNotes, GetNoteResponse, GetNotesItem

    assert get_type_hints(AsyncNotes.get)["return"] is GetNoteResponse
    assert str(get_type_hints(AsyncNotes.iterate)["return"]).endswith(
        f"AsyncIterator[{GetNotesItem.__module__}.AddNoteData]"
    )


def test_async_iterated_refuses_what_is_not_a_plain_function() -> None:
    with pytest.raises(TypeError, match="plain function"):
        async_iterated(len)  # type: ignore[arg-type]
    assert inspect.iscoroutinefunction(awaited(lambda self: None))


@pytest.mark.anyio
async def test_the_async_twins_list_add_iterate_upload_and_download_over_http(
    pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    settings = {"api_token": pipedrive_sandbox.api_token, "base_url": pipedrive_sandbox.base_url}
    async with AsyncPipedrive(**settings) as apd:
        before = await apd.notes.list(deal_id=1)
        added = [await apd.notes.add(content=f"twin {i}", deal_id=1) for i in range(3)]
        assert all(a.success and a.data is not None and a.data.id for a in added)
        after = await apd.notes.list(deal_id=1)
        assert len(after.data or []) == len(before.data or []) + 3
        walked = [note async for note in apd.notes.iterate(deal_id=1)]
        assert all(isinstance(note, GeneratedModel) for note in walked)
        assert [n.content for n in walked][-3:] == ["twin 0", "twin 1", "twin 2"]
        first = added[0].data
        assert first is not None and first.id is not None
        one = await apd.notes.get(first.id)
        assert one.data is not None and one.data.content == "twin 0"

        async_deals = [d.id async for d in apd.api.deals.iterate()]

        payload = bytes(range(256)) * 1024
        source = tmp_path / "twin.bin"
        source.write_bytes(payload)
        uploaded = await apd.files.upload(file=source, deal_id=1)
        assert uploaded.data is not None and uploaded.data.id is not None
        done = await apd.files.download(uploaded.data.id, to=tmp_path / "back.bin")
        assert isinstance(done, Downloaded) and done.size == len(payload)
        assert (tmp_path / "back.bin").read_bytes() == payload
        sink = io.BytesIO()
        await apd.files.download(uploaded.data.id, to=sink)
        assert sink.getvalue() == payload

        with pytest.raises(PipedriveError) as missing:
            await apd.notes.get(99999999)
        assert missing.value.status_code == 404
        with pytest.raises(ConfigurationError, match="invalid id"):
            await apd.notes.get("../deals/1")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="contnt"):
            await apd.notes.add(contnt="x")  # type: ignore[call-arg]
        # pd.deals is hand-made; what it does not define falls back on the generated twin
        assert apd.deals.duplicate == apd.api.deals.duplicate
        assert inspect.iscoroutinefunction(apd.deals.duplicate)
    with Pipedrive(**settings) as pd:
        assert async_deals == [d.id for d in pd.api.deals.iterate()] and async_deals


SNIPPET = """
from pipedrive_connector.client import AsyncPipedrive


async def main(apd: AsyncPipedrive) -> None:
    added = await apd.notes.add(content="x", deal_id=1)
    reveal_type(added)
    await apd.notes.add(contnt="x")
    async for note in apd.notes.iterate(deal_id=1):
        reveal_type(note)
    for wrong in apd.notes.iterate():
        pass
    reveal_type(await apd.files.download(1, to="/tmp/x"))
    reveal_type(apd.api.products.get)
"""


@pytest.mark.slow
def test_mypy_types_the_twins_as_awaitables_and_async_iterators(tmp_path: Path) -> None:
    snippet = tmp_path / "uses_twins.py"
    snippet.write_text(textwrap.dedent(SNIPPET), encoding="utf-8")
    config = ["--config-file", str(REPO / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache")]
    # In a child process: mypy in-process raises the interpreter's recursion limit (to 2**14) for the
    # rest of the run, which changes what later tests of deeply nested input see.
    done = subprocess.run(
        [sys.executable, "-m", "mypy", *config, "--no-error-summary", str(snippet)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out, err, status = done.stdout, done.stderr, done.returncode
    lines = [line.split(": ", 1)[1] for line in out.splitlines()]
    assert status == 1 and len(lines) == 6, out + err
    notes = "pipedrive_connector.client.generated.notes"
    expected = [
        f'note: Revealed type is "{notes}.AddNoteResponse"',
        'error: Unexpected keyword argument "contnt"',
        f'note: Revealed type is "{notes}.AddNoteData"',
        'error: "AsyncIterator[AddNoteData]" has no attribute "__iter__"',
        'note: Revealed type is "pipedrive_connector.client._generated.Downloaded"',
        'note: Revealed type is "def (id: int) -> typing.Coroutine[Any, Any, '
        'pipedrive_connector.client.generated.products.GetProductResponse]"',
    ]
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), out
