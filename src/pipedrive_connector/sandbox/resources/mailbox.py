"""The mailbox (v1): mail threads and their messages.

The sandbox sends and receives no mail. A thread arrives through the control plane
(``POST /_sandbox/mail``: ``deliver`` stores a thread holding one message, as if Pipedrive had synced
it); the mailbox routes then list, read, file, flag and delete it as Pipedrive's do. Deleting marks
the thread deleted (Pipedrive's words), after which it is not found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.pagination import offset_result, offset_window
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import (
    UUID_PATTERN,
    coerce_v1_int,
    path_int,
    query_choice,
    read_v1_body,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

THREAD = "mailThread"
MESSAGE = "mailMessage"
MAIL_FOLDERS = ("inbox", "drafts", "sent", "archive")
FLAGS = ("shared_flag", "read_flag", "archived_flag")
SNIPPET_CHARS = 100


def _party(address: str) -> dict[str, Any]:
    return {"email_address": address, "name": address.split("@")[0], "linked_person_id": None}


def _text(body: dict[str, Any], name: str, default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise bad_request(f"Invalid value for '{name}': expected a string")
    return value


def deliver(state: SandboxState, user_id: int, body: dict[str, Any]) -> tuple[Record, Record]:
    """Store a thread with one message: ``subject`` (required), ``body``, ``from``, ``to``, ``folder``
    (inbox by default) and ``deal_id``."""
    subject = _text(body, "subject", "")
    if not subject.strip():
        raise bad_request("Parameter 'subject' is required")
    folder = _text(body, "folder", "inbox")
    if folder not in MAIL_FOLDERS:
        raise bad_request(f"Invalid value for 'folder': must be one of {', '.join(MAIL_FOLDERS)}")
    deal_id = coerce_v1_int("deal_id", body.get("deal_id"))
    if deal_id is not None and state.store.get("deal", deal_id) is None:
        raise bad_request(f"Invalid value for 'deal_id': deal {deal_id} not found")
    text = _text(body, "body", "")
    sender, recipient = _text(body, "from", "sender@example.com"), _text(body, "to", "me@example.com")
    now = timefmt.iso(state.clock.now())
    snippet = text[:SNIPPET_CHARS]
    common = {"user_id": user_id, "account_id": "sandbox", "subject": subject, "snippet": snippet}
    thread = state.store.put(
        THREAD,
        {
            "id": state.store.next_id(THREAD),
            **common,
            "folders": [folder],
            "parties": {"from": [_party(sender)], "to": [_party(recipient)]},
            "message_count": 1,
            "read_flag": 0,
            "shared_flag": 0,
            "archived_flag": 1 if folder == "archive" else 0,
            "deleted_flag": 0,
            "has_sent_flag": 1 if folder == "sent" else 0,
            "has_draft_flag": 1 if folder == "drafts" else 0,
            "deal_id": deal_id,
            "lead_id": None,
            "first_message_timestamp": now,
            "last_message_timestamp": now,
            "add_time": now,
            "update_time": now,
        },
    )
    message = state.store.put(
        MESSAGE,
        {
            "id": state.store.next_id(MESSAGE),
            **common,
            "mail_thread_id": thread["id"],
            "from": [_party(sender)],
            "to": [_party(recipient)],
            "cc": [],
            "bcc": [],
            "body": text,
            "has_body_flag": 1,
            "read_flag": 0,
            "draft_flag": 1 if folder == "drafts" else 0,
            "sent_flag": 1 if folder == "sent" else 0,
            "deleted_flag": 0,
            "message_time": now,
            "add_time": now,
            "update_time": now,
        },
    )
    return thread, message


def _thread(request: Request) -> Record:
    thread = sandbox(request).store.get(THREAD, path_int(request))
    if thread is None or thread.get("deleted_flag"):
        raise not_found("Mail thread not found")
    return thread


def _in_folder(thread: Record, folder: str) -> bool:
    if folder == "archive":
        return bool(thread.get("archived_flag"))
    return not thread.get("archived_flag") and folder in (thread.get("folders") or [])


async def mail_threads(request: Request) -> Response:
    folder = query_choice(request, "folder", MAIL_FOLDERS)
    if folder is None:
        raise bad_request(f"Parameter 'folder' is required: one of {', '.join(MAIL_FOLDERS)}")
    start, limit = offset_window(request)
    threads = sandbox(request).store.query(THREAD, where={"deleted_flag": 0}, descending=True)
    chosen = [t for t in threads if _in_folder(t, folder)]
    page, pagination = offset_result(start, limit, chosen[start : start + limit + 1])
    return ok(page, additional_data={"pagination": pagination})


async def get_thread(request: Request) -> Response:
    return ok(_thread(request))


def _flag(name: str, value: Any) -> int:
    if value in (0, 1, "0", "1", True, False):
        return int(value)
    raise bad_request(f"Invalid value for '{name}': expected 0 or 1")


async def update_thread(request: Request) -> Response:
    state = sandbox(request)
    thread = _thread(request)
    body = await read_v1_body(request)
    changes: dict[str, Any] = {name: _flag(name, body[name]) for name in FLAGS if name in body}
    if "deal_id" in body:
        deal_id = coerce_v1_int("deal_id", body["deal_id"])
        if deal_id is not None and state.store.get("deal", deal_id) is None:
            raise bad_request(f"Invalid value for 'deal_id': deal {deal_id} not found")
        changes["deal_id"] = deal_id
    if "lead_id" in body:
        lead_id = body["lead_id"] or None
        if lead_id is not None and (not isinstance(lead_id, str) or not UUID_PATTERN.match(lead_id)):
            raise bad_request("Invalid value for 'lead_id': expected a UUID")
        if lead_id is not None and state.store.get("lead", lead_id) is None:
            raise bad_request(f"Invalid value for 'lead_id': lead {lead_id} not found")
        changes["lead_id"] = lead_id
    updated = state.store.put(THREAD, {**thread, **changes, "update_time": timefmt.iso(state.clock.now())})
    return ok(updated)


async def delete_thread(request: Request) -> Response:
    state = sandbox(request)
    thread = _thread(request)
    state.store.put(THREAD, {**thread, "deleted_flag": 1, "update_time": timefmt.iso(state.clock.now())})
    return ok({"id": thread["id"]})


def _message_view(message: Record, include_body: bool) -> dict[str, Any]:
    return {k: v for k, v in message.items() if include_body or k != "body"}


async def thread_messages(request: Request) -> Response:
    thread = _thread(request)
    messages = sandbox(request).store.query(MESSAGE, where={"mail_thread_id": thread["id"]})
    return ok([_message_view(m, include_body=False) for m in messages])


async def mail_message(request: Request) -> Response:
    message = sandbox(request).store.get(MESSAGE, path_int(request))
    include_body = query_choice(request, "include_body", ("0", "1")) == "1"
    if message is None:
        raise not_found("Mail message not found")
    return ok(_message_view(message, include_body))


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/mailbox/mailThreads", mail_threads, ["GET"]),
        *v1_routes("/mailbox/mailThreads/{id}", get_thread, ["GET"]),
        *v1_routes("/mailbox/mailThreads/{id}", update_thread, ["PUT"]),
        *v1_routes("/mailbox/mailThreads/{id}", delete_thread, ["DELETE"]),
        *v1_routes("/mailbox/mailThreads/{id}/mailMessages", thread_messages, ["GET"]),
        *v1_routes("/mailbox/mailMessages/{id}", mail_message, ["GET"]),
    ]
