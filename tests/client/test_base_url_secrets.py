"""A base URL with userinfo (``https://user:password@host``) never shows its password.

Before the fix ``repr(Pipedrive(base_url="https://u:pw@host"))`` printed the password.
"""

from __future__ import annotations

import pytest
from client_helpers import Served

from pipedrive_connector.client import AsyncPipedrive, Pipedrive, errors
from pipedrive_connector.component import Connection

SECRET = "hunter2-base-url-secret"


def with_userinfo(sandbox: Served) -> str:
    return sandbox.base_url.replace("http://", f"http://alice:{SECRET}@")


def test_repr_of_both_clients_and_the_connection_hide_the_password(sandbox: Served) -> None:
    url = with_userinfo(sandbox)
    with Pipedrive(api_token=sandbox.api_token, base_url=url) as pd:
        assert SECRET not in repr(pd)
        assert "REDACTED@127.0.0.1" in repr(pd)
    client = AsyncPipedrive(api_token=sandbox.api_token, base_url=url)
    assert SECRET not in repr(client)
    connection = Connection.api_key(sandbox.api_token, base_url=url)
    assert SECRET not in repr(connection)
    assert "REDACTED@127.0.0.1" in repr(connection)


def test_errors_from_such_a_base_url_hide_the_password(sandbox: Served) -> None:
    with Pipedrive(api_token=sandbox.api_token, base_url=with_userinfo(sandbox)) as pd:
        assert pd.request("GET", "/api/v2/deals/3")["data"]["id"] == 3
        with pytest.raises(errors.NotFound) as caught:
            pd.request("GET", "/api/v2/deals/999999")
    for text in (str(caught.value), repr(caught.value), caught.value.url or ""):
        assert SECRET not in text


@pytest.mark.parametrize("bad", [f"htps://alice:{SECRET}@example.com", f"alice:{SECRET}@example.com"])
def test_a_refused_base_url_is_not_echoed_with_its_password(bad: str) -> None:
    with pytest.raises(errors.ConfigurationError) as caught:
        Pipedrive(api_token="t", base_url=bad)
    assert "base_url must be an http(s) URL" in str(caught.value)
    assert SECRET not in str(caught.value)
