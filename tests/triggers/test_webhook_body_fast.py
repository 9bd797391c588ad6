"""``decode_body``'s orjson path gives exactly what the checked ``json`` path gives: the same value
(every integer kept, however long) or the same error naming the same problem."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipedrive_connector.triggers.webhook_body import WebhookParseError, _loads, check_json, decode_body


def checked(body: bytes | str) -> Any:
    """The reference: the stdlib decoder and the full check, as before the fast path."""
    decoded = _loads(body)
    if not isinstance(decoded, dict):
        raise WebhookParseError("not an object")
    check_json(decoded)
    return decoded


def outcome(decode: Any, body: bytes | str) -> tuple[str, Any]:
    try:
        return "ok", decode(body)
    except WebhookParseError as exc:
        return "error", str(exc)


BODIES: list[bytes | str] = [
    b'{"a": 1, "b": [1.5, -0.0, "x", null, true], "c": {"d": "\\u00e9"}}',
    b'{"a": 123456789012345678901234567890}',
    b'{"a": -9223372036854775809}',
    b'{"a": 18446744073709551615, "b": 18446744073709551616}',
    b'{"a": 1e19, "b": -1e19, "c": 9.3e18}',
    b'{"a": ' + b"9" * 400 + b"}",
    b'{"a": 1e400}',
    b'{"a": NaN}',
    b'{"a": "\\ud800"}',
    b'{"\\udc00": 1}',
    b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}",
    b'{"a": ' + b"[" * 31 + b"]" * 31 + b"}",
    b"\xef\xbb\xbf{}",
    b'{"a": "\xff"}',
    b"  ",
    b"[1, 2]",
    b'{"a": 1, "a": 2}',
    '{"a": "text ✓"}',
    '{"a": "\ud800"}',
]


@pytest.mark.parametrize("body", BODIES)
def test_the_fast_path_answers_as_the_checked_path(body: bytes | str) -> None:
    fast, reference = outcome(decode_body, body), outcome(checked, body)
    if reference[0] == "ok":
        assert fast == reference
        assert json.dumps(fast[1]) == json.dumps(reference[1])  # ints stay ints, floats floats
    else:
        assert fast[0] == "error"
        if reference[1] != "not an object":
            assert fast[1] == reference[1]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=5))
def test_any_json_object_decodes_to_the_same_value(document: dict[str, Any]) -> None:
    body = json.dumps(document).encode()
    fast = decode_body(body)
    assert json.dumps(fast) == json.dumps(checked(body))
