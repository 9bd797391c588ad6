"""Lazily validated list items (client/_lazy.py): typed, equal to eagerly validated models, and a wrong
type from Pipedrive still raises a clear ValidationError when the item is used."""

from __future__ import annotations

import copy
import gc
import pickle
import threading
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from client_helpers import Either, Served
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from pipedrive_connector.client._lazy import is_lazy, lazy_items
from pipedrive_connector.client.generated.deals import GetDealsItem
from pipedrive_connector.client.models import Deal, Person

pytestmark = pytest.mark.anyio


async def items_of(iterator: Any) -> list[Any]:
    """Every item of a sync or async iterator, untouched (the ``Either`` wrapper would use them)."""
    if hasattr(iterator, "__aiter__"):
        return [item async for item in iterator]
    return list(iterator)


def put_deal(sandbox: Served, **changes: Any) -> int:
    """A deal written straight into the sandbox's store, as Pipedrive could serve it."""
    store = sandbox.state.store
    template = store.all("deal")[0]
    with store.transaction():
        deal_id = store.next_id("deal")
        store.put("deal", {**template, "id": deal_id, "title": f"Deal {deal_id}", **changes})
    return int(deal_id)


async def test_iterated_deals_equal_the_validated_ones(pd: Either, sandbox: Served) -> None:
    iterated = await items_of(pd.unwrapped.deals.iterate())
    assert iterated and all(isinstance(deal, Deal) for deal in iterated)
    assert all(is_lazy(deal) for deal in iterated), "nothing touched them yet"
    for deal in iterated[:25]:
        fetched = await pd.deals.get(deal.id)
        assert not is_lazy(fetched)
        assert deal.title == fetched.title and deal.owner_id == fetched.owner_id
        assert is_lazy(deal), "plain, well-typed fields are read without validating"
        assert deal.add_time == fetched.add_time and isinstance(deal.add_time, datetime)
        assert not is_lazy(deal) and type(deal) is Deal
        assert deal == fetched
        assert deal.model_dump() == fetched.model_dump()
        assert deal.to_dict() == fetched.to_dict()
        assert deal.model_extra == fetched.model_extra
        assert deal.model_fields_set == fetched.model_fields_set


async def test_unknown_keys_and_custom_fields_by_name(pd: Either, sandbox: Served) -> None:
    added = await pd.deals.add(title="Lazy custom fields", currency="USD", custom_fields={"Budget": 5000})
    deal = next(d for d in await items_of(pd.unwrapped.deals.iterate()) if d.id == added.id)
    assert is_lazy(deal)
    by_name = await pd.deals.custom_fields_by_name(deal)
    assert by_name["Budget"].amount == 5000
    fresh = next(d for d in await items_of(pd.unwrapped.deals.iterate()) if d.id == added.id)
    assert fresh.archive_time is None  # a key Deal does not declare is kept and readable
    assert "archive_time" in (fresh.model_extra or {})
    assert fresh.model_dump()["archive_time"] is None


async def test_a_wrong_type_from_pipedrive_raises_when_the_field_is_read(pd: Either, sandbox: Served) -> None:
    bad = put_deal(sandbox, stage_id="not-a-number")
    deal = next(d for d in await items_of(pd.unwrapped.deals.iterate()) if d.id == bad)
    assert deal.title == f"Deal {bad}"  # the well-typed fields of the item read fine
    with pytest.raises(ValidationError) as caught:
        _ = deal.stage_id
    error = caught.value
    assert error.title == "Deal"
    assert [e["loc"] for e in error.errors()] == [("stage_id",)]
    assert "not-a-number" in str(error)
    with pytest.raises(ValidationError, match="stage_id"):  # and every other use of the item
        deal.model_dump()
    assert "not valid" in repr(deal)
    assert is_lazy(deal), "a failed item stays unvalidated; it raises again on the next use"
    with pytest.raises(ValidationError):
        _ = deal.add_time


async def test_the_generated_iterator_keeps_a_wrong_type_as_it_came(pd: Either, sandbox: Served) -> None:
    bad = put_deal(sandbox, stage_id="not-a-number")
    items = await items_of(pd.unwrapped.api.deals.iterate())
    assert all(isinstance(item, GetDealsItem) for item in items)
    deal = next(d for d in items if d.id == bad)
    assert deal.stage_id == "not-a-number"  # lenient, as the generated answers are
    assert not is_lazy(deal)
    good = next(d for d in items if d.id != bad)
    assert good.model_dump() == GetDealsItem.model_validate(good.model_dump()).model_dump()


# -- the lazy items on their own: decoded pages as httpx + orjson hand them over ---------------------

PAGE = [
    {
        "id": 7,
        "title": "Seven",
        "value": 1000,  # an int for a float field: validation converts it
        "probability": 12.5,
        "add_time": "2026-01-02T03:04:05Z",
        "update_time": "2019-05-29 04:21:51",
        "label_ids": [1, 2],
        "custom_fields": {"abc": 1},
        "archive_time": None,  # not declared by Deal: kept as an extra
    }
]


def one(page: list[dict[str, Any]] | None = None) -> Deal:
    return lazy_items(Deal, [dict(item) for item in (page or PAGE)], lenient=False)[0]


def test_every_field_reads_as_validation_gives_it() -> None:
    eager = Deal.model_validate(PAGE[0])
    for name in [*Deal.model_fields, "archive_time"]:
        assert getattr(one(), name) == getattr(eager, name), name
        assert type(getattr(one(), name)) is type(getattr(eager, name)), name


@pytest.mark.parametrize("value", [True, 1.0, 1.5, "12", "x", None, [1], {"a": 1}, 2**70])
@pytest.mark.parametrize("name", ["owner_id", "title", "is_deleted", "probability"])
def test_a_plain_field_of_another_type_reads_as_the_eager_model_has_it(name: str, value: Any) -> None:
    raw = {"id": 1, name: value}
    try:
        expected: Any = getattr(Deal.model_validate(raw), name)
    except ValidationError as exc:
        expected = exc.errors()
    try:
        got: Any = getattr(lazy_items(Deal, [dict(raw)], lenient=False)[0], name)
    except ValidationError as exc:
        got = exc.errors()
    assert got == expected and type(got) is type(expected)


def test_other_fields_do_not_stop_a_well_typed_one_from_reading() -> None:
    deal = lazy_items(Deal, [{"id": 1, "title": "ok", "owner_id": "nope"}], lenient=False)[0]
    assert deal.title == "ok"
    with pytest.raises(ValidationError, match="owner_id"):
        _ = deal.owner_id


def test_a_missing_required_field_raises_and_missing_optional_ones_are_none() -> None:
    deal = lazy_items(Deal, [{"title": "no id"}], lenient=False)[0]
    assert deal.owner_id is None and is_lazy(deal)
    with pytest.raises(ValidationError, match="id"):
        _ = deal.id


def test_copy_pickle_setattr_and_isinstance() -> None:
    eager = Deal.model_validate(PAGE[0])
    assert isinstance(one(), Deal) and not isinstance(one(), dict)
    assert one().__class__ is Deal and is_lazy(lazy := one()) and lazy == eager and not is_lazy(lazy)
    assert copy.copy(one()) == eager and type(copy.copy(one())) is Deal
    assert copy.deepcopy(one()) == eager
    assert pickle.loads(pickle.dumps(one())) == eager
    changed = one()
    changed.title = "Changed"
    assert changed.title == "Changed" and "title" in changed.model_fields_set
    assert changed.value == 1000.0 and isinstance(changed.value, float)
    assert str(one()) == str(eager) and repr(one()) == repr(eager)
    assert dict(one()) == dict(eager)
    nested = Person.model_validate({"id": 1, "deal": one()})
    assert nested.model_extra == {"deal": eager}


def _read_together(deal: Deal, threads: int) -> list[Any]:
    seen: list[Any] = []
    barrier = threading.Barrier(threads)

    def read() -> None:
        barrier.wait()
        seen.append((deal.update_time, deal.model_dump(), deal.model_extra))

    running = [threading.Thread(target=read) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return seen


def test_threads_materializing_the_same_item_agree() -> None:
    for _ in range(50):
        seen = _read_together(one(), 4)
        assert len(seen) == 4 and all(item == seen[0] for item in seen)
        assert seen[0][2] == {"archive_time": None}


def test_models_with_validators_are_validated_eagerly() -> None:
    class Shouting(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def upper(cls, value: str) -> str:
            return value.upper()

    (item,) = lazy_items(Shouting, [{"name": "quiet"}], lenient=False)
    assert not is_lazy(item) and item.name == "QUIET"


def test_non_object_items() -> None:
    assert lazy_items(GetDealsItem, [1, "x"], lenient=True) == [1, "x"]
    with pytest.raises(ValidationError):
        lazy_items(Deal, [1], lenient=False)


async def test_pages_hold_lazy_items(make_client: Callable[..., Either]) -> None:
    pd = make_client().unwrapped
    page = pd.deals.list(limit=5)
    if not hasattr(page, "items"):
        page = await page
    assert len(page) == 5 and all(is_lazy(deal) for deal in page)
    assert [deal.id for deal in page] == [deal["id"] for deal in page.envelope["data"]]


def test_options_that_change_strings_make_every_read_validate() -> None:
    class Stripped(BaseModel):
        model_config = ConfigDict(str_strip_whitespace=True)
        name: str | None = None

    (item,) = lazy_items(Stripped, [{"name": "  padded  "}], lenient=False)
    assert item.name == "padded" and not is_lazy(item)


async def _step(iterator: Any) -> Any:
    return await iterator.__anext__() if hasattr(iterator, "__anext__") else next(iterator)


@pytest.mark.parametrize("generated", [False, True], ids=["hand-made", "generated"])
async def test_a_pages_items_are_freed_before_the_next_page_is_decoded(
    make_client: Callable[..., Either], sandbox: Served, generated: bool
) -> None:
    """Items the caller dropped must not outlive their page: alive while the next page is decoded,
    the collector would move them to its oldest generation and a bulk read would pay full
    collections of the whole heap (benchmarks/bulk_read.py)."""
    for _ in range(505 if generated else 15):  # the generated iterator reads 500 a page
        put_deal(sandbox)
    alive_while_fetching: list[list[bool]] = []
    refs: list[weakref.ref[Any]] = []
    pd = make_client(on_usage=lambda _: alive_while_fetching.append([r() is not None for r in refs]))
    client = pd.unwrapped
    iterator = client.api.deals.iterate() if generated else client.deals.iterate(limit=10)
    page_size = 500 if generated else 10
    gc.disable()  # only reference counting frees them here
    try:
        for _ in range(page_size):
            refs.append(weakref.ref(await _step(iterator)))
        assert len(alive_while_fetching) == 1
        await _step(iterator)  # the first item of the second page
    finally:
        gc.enable()
    assert len(alive_while_fetching) == 2
    # The last item may still be held by the iterator's loop variable (the async twin's ``for``).
    assert not any(alive_while_fetching[1][:-1])
