"""The async twin of a generated sync method, made from the sync method itself (no second copy).

A generated sync method's body only hands its arguments to the resource: ``return self._call(...)``,
``return self._download(...)`` or ``return self._iterate(...)``. On an ``AsyncGeneratedResource``
those return a coroutine or an async iterator, so the same function, called with an async resource
as ``self``, does the async call. These helpers give it the async type and metadata:

    class AsyncNotes(AsyncGeneratedResource):
        add = awaited(Notes.add)                  # await apd.notes.add(content=...)
        iterate = async_iterated(Notes.iterate)   # async for note in apd.notes.iterate(...)

The twin keeps the sync method's parameters and docstring (``help()``, ``inspect.signature``) and is
named ``Async<Class>.<method>``, the generator's naming of the async classes.
"""

from __future__ import annotations

import functools
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

P = ParamSpec("P")
T = TypeVar("T")


def _async_qualname(method: Callable[..., Any]) -> str:
    return f"Async{method.__qualname__}"


def awaited(
    method: Callable[Concatenate[Any, P], T],
) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, T]]:
    """A coroutine function awaiting what ``method`` returns when bound to an async resource."""

    async def twin(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await cast(Awaitable[T], method(self, *args, **kwargs))

    functools.update_wrapper(twin, method)  # the sync signature: its return is what the twin awaits
    twin.__qualname__ = _async_qualname(method)
    return twin


def async_iterated(
    method: Callable[Concatenate[Any, P], Iterator[T]],
) -> Callable[Concatenate[Any, P], AsyncIterator[T]]:
    """``method`` itself (its code, defaults and docstring), typed and annotated as returning the
    async iterator it returns when bound to an async resource: no wrapper between the caller and the
    iterator."""
    if not isinstance(method, types.FunctionType):
        raise TypeError(f"async_iterated needs a plain function, got {type(method).__name__}")
    twin = types.FunctionType(
        method.__code__, method.__globals__, method.__name__, method.__defaults__, method.__closure__
    )
    twin.__kwdefaults__ = method.__kwdefaults__
    twin.__doc__ = method.__doc__
    twin.__qualname__ = _async_qualname(method)
    annotations = dict(method.__annotations__)
    returned = annotations.get("return")  # a string: the generated modules postpone annotations
    if isinstance(returned, str) and returned.startswith("Iterator["):
        annotations["return"] = "Async" + returned
    twin.__annotations__ = annotations
    return cast(Callable[Concatenate[Any, P], AsyncIterator[T]], twin)
