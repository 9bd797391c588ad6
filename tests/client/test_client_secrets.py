"""The API token never shows up in logs, output, reprs, exceptions or tracebacks, across error paths."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from client_helpers import Served, serve_sandbox

from pipedrive_connector.client import Pipedrive, PipedriveError, Usage
from pipedrive_connector.client.auth import ApiTokenAuth
from pipedrive_connector.sandbox import SandboxSettings

TOKEN = "tok-5ecret-91f3c0ffee42"


@pytest.fixture(scope="module")
def secret_sandbox() -> Iterator[Served]:
    with serve_sandbox(SandboxSettings(api_token=TOKEN, seed="demo")) as served:
        yield served


def _everything_about(err: BaseException) -> str:
    parts = [str(err), repr(err), "".join(traceback.format_exception(err))]
    if isinstance(err, PipedriveError):
        parts += [str(err.url), repr(err.headers), repr(err.body), repr(err.__dict__)]
    return "\n".join(parts)


@pytest.mark.parametrize("location", ["query", "header"])
def test_token_never_leaks(
    location: str,
    secret_sandbox: Served,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    usages: list[Usage] = []
    settings: dict[str, Any] = {
        "api_token": TOKEN,
        "token_location": location,
        "backoff_base": 0.001,
        "on_usage": usages.append,
    }
    with Pipedrive(base_url=secret_sandbox.base_url, **settings) as pd:
        seen += [repr(pd), str(pd), repr(pd._core.auth), repr(pd.deals)]
        print(pd)
        assert pd.users.me().id == 1
        for call in (
            lambda: pd.deals.get(999999),  # 404
            lambda: pd.request("POST", "/api/v2/deals", json={"title": ""}),  # 400
            lambda: pd.deals.add(title="x", custom_fields={"Nope": 1}),  # unknown field
        ):
            with pytest.raises(PipedriveError) as caught:
                call()
            seen.append(_everything_about(caught.value))
        secret_sandbox.control("faults", {"error_rate": 1.0, "seed": 1})
        with pytest.raises(PipedriveError) as caught:
            pd.deals.add(title="ambiguous")  # POST + 5xx: AmbiguousServerError
        seen.append(_everything_about(caught.value))
        with pytest.raises(PipedriveError) as caught:
            pd.deals.get(1)  # 5xx after every retry
        seen.append(_everything_about(caught.value))
        secret_sandbox.control("faults", {})
        secret_sandbox.control("rate-limit", {"plan": "lite", "daily_budget": 0, "reset_counters": True})
        with pytest.raises(PipedriveError) as caught:
            pd.users.me()  # DailyBudgetExhausted
        seen.append(_everything_about(caught.value))
        secret_sandbox.control("rate-limit", {"plan": "off", "daily_budget": None, "reset_counters": True})
    with Pipedrive(
        api_token=TOKEN,
        token_location=location,
        base_url="http://127.0.0.1:9",
        max_retries=1,
        backoff_base=0.001,
    ) as offline:
        with pytest.raises(PipedriveError) as caught:
            offline.users.me()  # connection refused
        seen.append(_everything_about(caught.value))
    seen += [repr(u) for u in usages]
    out = capsys.readouterr()
    logs = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "api_token=REDACTED" in logs or location == "header" or "api_token" not in logs
    haystack = "\n".join([*seen, out.out, out.err, logs])
    assert TOKEN not in haystack
    assert len(caplog.records) > 5  # the client did log (redacted) lines


def test_auth_repr_and_credential_key_hide_the_token() -> None:
    auth = ApiTokenAuth(TOKEN, "query")
    assert TOKEN not in repr(auth)
    assert TOKEN not in auth.rate_limit_key
