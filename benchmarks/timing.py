"""Where the receiver's time goes: wall-clock timers around its request-path steps, and cProfile of
the event-loop thread. The steps run in worker threads, which cProfile alone would not see."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class StepTimers:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.totals: dict[str, list[float]] = {}

    def record(self, name: str, elapsed: float) -> None:
        with self._lock:
            entry = self.totals.setdefault(name, [0, 0.0])
            entry[0] += 1
            entry[1] += elapsed

    def wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.record(name, time.perf_counter() - started)

        return timed

    def wrap_async(self, name: str, func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                self.record(name, time.perf_counter() - started)

        return timed

    def wrap_until_done(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """Time from a ``submit_event`` call to its ``on_done`` callback (the group commit)."""

        def timed(sub: Any, event: Any, changed_at: Any, on_done: Callable[[Any], None]) -> Any:
            started = time.perf_counter()

            def done(pending: Any) -> None:
                self.record(name, time.perf_counter() - started)
                on_done(pending)

            return func(sub, event, changed_at, done)

        return timed

    def summary(self) -> dict[str, Any]:
        return {
            name: {
                "calls": int(calls),
                "seconds": round(total, 4),
                "ms_per_call": round(total / calls * 1000, 3),
            }
            for name, (calls, total) in self.totals.items()
            if calls
        }


@contextmanager
def profile_receiver(app: Any, out: Path) -> Iterator[None]:
    """Time ``authenticate``, ``accept``/``accept_async`` and the inbox insert of a TriggerApp."""
    timers = StepTimers()
    receiver, store = app.receiver, app.store
    receiver.authenticate = timers.wrap("receiver.authenticate (Basic check)", receiver.authenticate)
    # The ASGI path: accept_async -> store.submit_event -> group commit -> on_done. The sync
    # accept/insert_event pair serves other adapters; both are timed, whichever traffic uses.
    receiver.accept = timers.wrap("receiver.accept (parse + store)", receiver.accept)
    receiver.accept_async = timers.wrap_async("receiver.accept_async (parse + store)", receiver.accept_async)
    store.insert_event = timers.wrap("store.insert_event (SQLite commit, fsync)", store.insert_event)
    store.submit_event = timers.wrap_until_done(
        "store.submit_event -> committed (group commit, fsync)", store.submit_event
    )
    # The dispatcher's bookkeeping writes share the store's single writer lock with the inserts.
    for name in ("claim_next", "mark_handler_done", "mark_done"):
        if hasattr(store, name):
            setattr(store, name, timers.wrap(f"store.{name} (dispatcher write)", getattr(store, name)))
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        text = io.StringIO()
        pstats.Stats(profile, stream=text).strip_dirs().sort_stats("tottime").print_stats(15)
        out.write_text(
            json.dumps({"steps": timers.summary(), "event_loop_profile": text.getvalue()}, indent=2)
        )
