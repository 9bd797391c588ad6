"""Request paths stay under the base URL: ``request()`` refuses dot segments, other hosts,
backslashes and control characters; resource ids go in only as integers (UUIDs for leads).

Before the fix ``request("DELETE", "/v1/leads/../../api/v2/deals/3")`` deleted deal 3 (httpx folds
the dot segments) and ``leads.get("../users/me")`` was refused only because of its slash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from client_helpers import Either, Served

from pipedrive_connector.client import Pipedrive, errors
from pipedrive_connector.client.paths import InvalidPathSegment, check_request_path

pytestmark = pytest.mark.anyio

LEAD = "398aaec8-02a2-5848-945b-a66f9fe1fb41"
HOSTILE_PATHS = [
    ("/v1/leads/../../api/v2/deals/3", "'..' segments"),
    ("/v1/leads/./../../api/v2/deals/3", "'..' segments"),
    ("/v1/leads/%2e%2e/%2E%2E/api/v2/deals/3", "'..' segments"),
    ("/v1/leads/..%2f..%2fapi%2fv2%2fdeals%2f3", "'..' segments"),
    ("/v1/leads/%252e%252e/%252e%252e/api/v2/deals/3", "'..' segments"),
    ("/v1/leads/..;/..;/api/v2/deals/3", "'..' segments"),
    ("/v1/leads/..\\..\\api\\v2\\deals\\3", "backslashes"),
    ("/v1/leads/%5c..", "backslashes"),
    ("/v1/users/me\r\nX-Injected: 1", "control characters"),
    ("/v1/users/%00me", "control characters"),
    ("//evil.example/api/v2/deals/3", "another host"),
    ("HTTPS://evil.example/api/v2/deals/3", "another host"),
    ("ftp://evil.example/v1/users/me", "another host"),
]


@pytest.fixture
def usages() -> list[Any]:
    return []


@pytest.fixture
def counted(make_client: Callable[..., Either], usages: list[Any]) -> Either:
    """A client whose ``on_usage`` hook records every attempt that went out."""
    return make_client(on_usage=usages.append)


def _deal_3_title(sandbox: Served) -> str:
    with Pipedrive(api_token=sandbox.api_token, base_url=sandbox.base_url) as pd:
        return str(pd.request("GET", "/api/v2/deals/3")["data"]["title"])


@pytest.mark.parametrize(("path", "reason"), HOSTILE_PATHS)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_request_refuses_paths_that_leave_their_place_and_sends_nothing(
    counted: Either, usages: list[Any], sandbox: Served, method: str, path: str, reason: str
) -> None:
    with pytest.raises(InvalidPathSegment) as caught:
        await counted.request(method, path)
    assert isinstance(caught.value, errors.ConfigurationError)
    assert str(caught.value).startswith("invalid path ")
    assert reason in str(caught.value)
    assert usages == []
    assert _deal_3_title(sandbox) == "Globex analytics pilot"


async def test_ordinary_paths_still_work(counted: Either, usages: list[Any]) -> None:
    assert (await counted.request("GET", "/api/v2/deals/3"))["data"]["id"] == 3
    assert (await counted.request("GET", "deals/3", api="v2"))["data"]["id"] == 3
    # The query string is not part of the path: dots there are data.
    found = await counted.request("GET", "/api/v2/deals/search?term=../..")
    assert found["success"] is True
    assert (await counted.request("GET", f"/v1/leads/{LEAD}"))["data"]["id"] == LEAD
    assert len(usages) == 4


@pytest.mark.parametrize(
    ("resource", "bad_id"),
    [
        ("leads", "../users/me"),
        ("leads", "../../api/v2/deals/3"),
        ("leads", 3),
        ("lead_labels", "../../api/v2/deals/3"),
        ("deals", "3/../4"),
        ("deals", "../../v1/users/me"),
        ("deals", "3?x=1"),
        ("deals", "-3"),
        ("deals", 0),
        ("deals", True),
        ("deals", 2**64),
        ("persons", "1.0"),
        ("webhooks", "%2e%2e"),
    ],
)
async def test_resource_ids_are_checked_before_sending(
    counted: Either, usages: list[Any], sandbox: Served, resource: str, bad_id: Any
) -> None:
    container = getattr(counted, resource)
    with pytest.raises(InvalidPathSegment, match="invalid id"):
        await container.delete(bad_id)
    if hasattr(container.unwrapped, "get"):
        with pytest.raises(InvalidPathSegment, match="invalid id"):
            await container.get(bad_id)
    assert usages == []
    assert _deal_3_title(sandbox) == "Globex analytics pilot"


async def test_lead_ids_are_canonical_uuids(counted: Either) -> None:
    lead = await counted.leads.get(LEAD.upper())
    assert lead.id == LEAD
    assert (await counted.deals.get(" 3 ")).id == 3


def test_check_request_path_returns_a_good_path_unchanged() -> None:
    for path in ("/api/v2/deals/3", "/v1/leads/a%2Fb", "/v1/deals?x=../..", "/api/v2/deals/"):
        assert check_request_path(path) == path


def test_the_refused_path_in_the_message_hides_tokens() -> None:
    with pytest.raises(InvalidPathSegment) as caught:
        check_request_path("/v1/../users?api_token=secret-token-1")
    assert "secret-token-1" not in str(caught.value)
