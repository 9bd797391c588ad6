"""Files (v1), product images (v2) and call recordings (v1) over HTTP: multipart uploads, streamed
downloads, metadata, deletes, per-record lists, remote files and the errors of each."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_testkit import Api, make_api

from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.resources import blobs
from pipedrive_connector.sandbox.seed import seeded_uuid

# Spans several stored chunks and ends inside one.
BIG = os.urandom(2 * blobs.CHUNK_BYTES + 12345)
CALL = {
    "to_phone_number": "+372 5555 1234",
    "outcome": "connected",
    "start_time": "2026-01-05 10:00:00",
    "end_time": "2026-01-05 10:12:00",
}


@pytest.fixture
def small_api() -> Iterator[Api]:
    """A sandbox that accepts uploads of at most 1,000 bytes."""
    yield from make_api("empty", extra={"max_upload_bytes": 1000})


def _upload(api: Api, content: bytes, name: str = "contract.pdf", mime: str = "application/pdf", **form: Any):  # type: ignore[no-untyped-def]
    return api.post(
        "/v1/files", files={"file": (name, content, mime)}, data={k: str(v) for k, v in form.items()}
    )


def _blob_rows(api: Api) -> int:
    with api.state.db_lock:
        return int(api.state.db.execute("SELECT COUNT(*) FROM sandbox_blobs").fetchone()[0])


def test_upload_attaches_the_file_and_download_streams_the_same_bytes(api: Api) -> None:
    response = _upload(api, BIG, deal_id=2, person_id=2, org_id=2)
    assert response.status_code == 200, response.text
    file = response.json()["data"]
    assert set(spec_data.response_keys("POST /v1/files")) <= set(file)
    assert file["file_name"] == "contract.pdf" and file["name"] == "contract.pdf"
    assert file["file_size"] == len(BIG) and file["deal_id"] == 2 and file["person_id"] == 2
    deal = api.get("/v1/deals/2").json()["data"]
    assert file["deal_name"] == deal["title"] and file["org_name"] is not None
    assert file["active_flag"] is True and file["user_id"] == 1 and len(file["add_time"]) == 19
    assert file["url"].endswith(f"/v1/files/{file['id']}/download")
    assert api.get(f"/v1/files/{file['id']}").json()["data"] == file

    download = api.get(f"/v1/files/{file['id']}/download")
    assert download.status_code == 200
    assert download.content == BIG
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-length"] == str(len(BIG))
    assert download.headers["content-disposition"].startswith('attachment; filename="contract.pdf"')


def test_download_names_a_non_ascii_file_exactly_and_guesses_a_missing_type(empty_api: Api) -> None:
    api = empty_api
    file = _upload(api, b"a,b\n1,2\n", name="C:\\tmp\\Übersicht.csv", mime="application/octet-stream").json()
    data = file["data"]
    assert data["file_name"] == "Übersicht.csv"  # the client's directory is not part of the name
    download = api.get(f"/v1/files/{data['id']}/download")
    assert download.headers["content-type"].startswith("text/csv")
    disposition = download.headers["content-disposition"]
    assert 'filename="_bersicht.csv"' in disposition and "filename*=UTF-8''%C3%9Cbersicht.csv" in disposition


def test_metadata_update_changes_name_and_description_only(api: Api) -> None:
    file = _upload(api, b"hello", name="a.txt", mime="text/plain", deal_id=1).json()["data"]
    updated = api.put(f"/v1/files/{file['id']}", data={"name": "Signed contract", "description": "v2"})
    assert updated.status_code == 200, updated.text
    data = updated.json()["data"]
    assert data["name"] == "Signed contract" and data["description"] == "v2"
    assert data["file_name"] == "a.txt" and data["deal_id"] == 1
    as_json = api.put(f"/v1/files/{file['id']}", json={"description": "v3"}).json()["data"]
    assert as_json["description"] == "v3" and as_json["name"] == "Signed contract"
    empty = api.put(f"/v1/files/{file['id']}", json={"name": " "})
    assert empty.status_code == 400 and "name" in empty.json()["error"]
    assert api.put("/v1/files/999999", json={"name": "x"}).status_code == 404


def test_delete_hides_the_file_drops_its_bytes_and_the_counts(empty_api: Api) -> None:
    api = empty_api
    deal = api.post("/api/v2/deals", json={"title": "Rollout"}).json()["data"]
    file = _upload(api, b"x" * 10, deal_id=deal["id"]).json()["data"]
    _upload(api, b"y" * 10, deal_id=deal["id"])
    assert api.get(f"/v1/deals/{deal['id']}").json()["data"]["files_count"] == 2
    counts = {"include_fields": "files_count"}
    assert api.get(f"/api/v2/deals/{deal['id']}", params=counts).json()["data"]["files_count"] == 2
    rows = _blob_rows(api)
    deleted = api.delete(f"/v1/files/{file['id']}")
    assert deleted.status_code == 200 and deleted.json()["data"] == {"id": file["id"]}
    assert _blob_rows(api) == rows - 1
    assert api.get(f"/v1/files/{file['id']}").status_code == 404
    assert api.get(f"/v1/files/{file['id']}/download").status_code == 404
    assert api.delete(f"/v1/files/{file['id']}").status_code == 404
    assert api.get(f"/v1/deals/{deal['id']}").json()["data"]["files_count"] == 1
    assert [f["id"] for f in api.get("/v1/files").json()["data"]] == [file["id"] + 1]


def test_per_record_lists_hold_the_records_files(empty_api: Api) -> None:
    api = empty_api
    org = api.post("/api/v2/organizations", json={"name": "Initech"}).json()["data"]
    person = api.post("/api/v2/persons", json={"name": "Peter"}).json()["data"]
    deal = api.post("/api/v2/deals", json={"title": "TPS"}).json()["data"]
    product = api.post("/api/v2/products", json={"name": "Stapler"}).json()["data"]
    on_deal = _upload(api, b"1", deal_id=deal["id"], org_id=org["id"]).json()["data"]
    on_person = _upload(api, b"2", person_id=person["id"]).json()["data"]
    on_product = _upload(api, b"3", product_id=product["id"]).json()["data"]

    def ids(path: str, **params: Any) -> list[int]:
        response = api.get(path, params=params)
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()["data"]]

    assert ids(f"/v1/deals/{deal['id']}/files") == [on_deal["id"]]
    assert ids(f"/v1/organizations/{org['id']}/files") == [on_deal["id"]]
    assert ids(f"/v1/persons/{person['id']}/files") == [on_person["id"]]
    listed = api.get(f"/v1/products/{product['id']}/files").json()["data"]
    assert [f["id"] for f in listed] == [on_product["id"]]
    assert set(spec_data.response_keys("GET /v1/products/{id}/files")) <= set(listed[0])
    assert listed[0]["product_name"] == "Stapler"
    for path in ("deals", "persons", "organizations", "products"):
        missing = api.get(f"/v1/{path}/999999/files")
        assert missing.status_code == 404 and "not found" in missing.json()["error"]
    # GET /v1/files: every live file, paged, sortable by id and update_time.
    everything = [on_deal["id"], on_person["id"], on_product["id"]]
    assert ids("/v1/files") == everything
    assert ids("/v1/files", sort="id DESC") == everything[::-1]
    first = api.get("/v1/files", params={"limit": 2}).json()
    assert [f["id"] for f in first["data"]] == everything[:2]
    assert first["additional_data"]["pagination"]["more_items_in_collection"] is True
    assert ids("/v1/files", start=2, limit=2) == everything[2:]


def test_upload_errors_name_what_is_wrong(empty_api: Api) -> None:
    api = empty_api
    no_file = api.post("/v1/files", files={"other": ("a.txt", b"a")}, data={"deal_id": "1"})
    assert no_file.status_code == 400 and "'file'" in no_file.json()["error"]
    not_multipart = api.post("/v1/files", json={"deal_id": 1})
    assert not_multipart.status_code == 400 and "multipart/form-data" in not_multipart.json()["error"]
    rows = _blob_rows(api)
    unknown = _upload(api, b"abc", deal_id=424242)
    assert unknown.status_code == 400 and "deal_id" in unknown.json()["error"]
    bad_id = _upload(api, b"abc", person_id="seven")
    assert bad_id.status_code == 400 and "person_id" in bad_id.json()["error"]
    assert _blob_rows(api) == rows  # nothing kept from refused uploads
    assert api.get("/v1/files").json()["data"] == []
    assert api.get("/v1/files/999999/download").status_code == 404


def test_too_large_uploads_answer_413_and_keep_nothing(small_api: Api) -> None:
    api = small_api
    assert _upload(api, b"a" * 1000).status_code == 200
    rows = _blob_rows(api)
    just_over = _upload(api, b"a" * 1001)  # announced size within the envelope slack: counted while copying
    assert just_over.status_code == 413 and "1000 bytes" in just_over.json()["error"]
    far_over = _upload(api, b"a" * (blobs.ENVELOPE_BYTES + 5000))  # refused on its Content-Length
    assert far_over.status_code == 413
    assert _blob_rows(api) == rows
    assert len(api.get("/v1/files").json()["data"]) == 1


def test_remote_file_and_remote_link(api: Api) -> None:
    created = api.post(
        "/v1/files/remote",
        data={
            "file_type": "gdoc",
            "title": "Proposal",
            "item_type": "deal",
            "item_id": "1",
            "remote_location": "googledrive",
        },
    )
    assert created.status_code == 200, created.text
    remote = created.json()["data"]
    assert set(spec_data.response_keys("POST /v1/files/remote")) <= set(remote)
    assert (
        remote["deal_id"] == 1 and remote["name"] == "Proposal" and remote["remote_location"] == "googledrive"
    )
    assert remote["remote_id"] and remote["file_size"] == 0 and "drive.google.com" in remote["url"]
    linked = api.post(
        "/v1/files/remoteLink",
        json={
            "item_type": "organization",
            "item_id": 1,
            "remote_id": "1AbC",
            "remote_location": "googledrive",
        },
    ).json()["data"]
    assert linked["org_id"] == 1 and linked["remote_id"] == "1AbC"
    assert linked["id"] in [f["id"] for f in api.get("/v1/organizations/1/files").json()["data"]]
    no_bytes = api.get(f"/v1/files/{linked['id']}/download")
    assert no_bytes.status_code == 400 and "googledrive" in no_bytes.json()["error"]
    wrong_type = api.post(
        "/v1/files/remote",
        json={
            "file_type": "pdf",
            "title": "x",
            "item_type": "deal",
            "item_id": 1,
            "remote_location": "googledrive",
        },
    )
    assert wrong_type.status_code == 400 and "file_type" in wrong_type.json()["error"]
    missing = api.post(
        "/v1/files/remoteLink", json={"item_type": "deal", "item_id": 1, "remote_location": "googledrive"}
    )
    assert missing.status_code == 400 and "remote_id" in missing.json()["error"]
    unknown = api.post(
        "/v1/files/remoteLink",
        json={"item_type": "person", "item_id": 999999, "remote_id": "x", "remote_location": "googledrive"},
    )
    assert unknown.status_code == 400 and "person_id" in unknown.json()["error"]


def test_demo_seed_has_a_file_on_a_deal(api: Api) -> None:
    files = api.get("/v1/deals/1/files").json()["data"]
    assert [f["name"] for f in files] == ["Contract draft"]
    assert api.get(f"/v1/files/{files[0]['id']}/download").content.startswith(b"Sandbox Inc.")
    assert api.get("/v1/deals/1").json()["data"]["files_count"] == 1


def test_product_image_lifecycle(api: Api) -> None:
    path = "/api/v2/products/1/images"
    assert api.get(path).status_code == 404
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(300)
    added = api.post(path, files={"data": ("box.png", png, "image/png")})
    assert added.status_code == 201, added.text
    assert set(added.json()["data"]) == set(spec_data.response_keys("POST /api/v2/products/{id}/images"))
    image = api.get(path).json()["data"]
    assert image["product_id"] == 1 and image["mime_type"] == "image/png" and image["name"] == "box.png"
    public = api.client.get(image["public_url"])  # no token: a public link
    assert public.status_code == 200 and public.content == png
    twice = api.post(path, files={"data": ("box.png", png, "image/png")})
    assert twice.status_code == 400 and "PUT" in twice.json()["error"]
    jpeg = b"\xff\xd8\xff" + os.urandom(100)
    replaced = api.put(path, files={"data": ("box.jpg", jpeg, "image/jpeg")})
    assert replaced.status_code == 200 and replaced.json()["data"]["id"] == image["id"]
    assert api.client.get(image["public_url"]).status_code == 404  # the old link is gone
    assert api.client.get(api.get(path).json()["data"]["public_url"]).content == jpeg
    not_image = api.put(path, files={"data": ("notes.txt", b"hi", "text/plain")})
    assert not_image.status_code == 400 and "data" in not_image.json()["error"]
    assert api.delete(path).json()["data"] == {"id": image["id"]}
    assert api.get(path).status_code == 404 and api.delete(path).status_code == 404
    assert api.put(path, files={"data": ("box.jpg", jpeg, "image/jpeg")}).status_code == 404
    assert api.get("/api/v2/products/999999/images").status_code == 404


def test_call_log_recording(empty_api: Api) -> None:
    api = empty_api
    log = api.post("/v1/callLogs", json=CALL).json()["data"]
    path = f"/v1/callLogs/{log['id']}/recordings"
    not_audio = api.post(path, files={"file": ("a.txt", b"hi", "text/plain")})
    assert not_audio.status_code == 400 and "audio" in not_audio.json()["error"]
    added = api.post(path, files={"file": ("call.mp3", b"ID3" + os.urandom(500), "audio/mpeg")})
    assert added.status_code == 200 and added.json() == {"success": True}
    assert api.get(f"/v1/callLogs/{log['id']}").json()["data"]["has_recording"] is True
    again = api.post(path, files={"file": ("call.mp3", b"ID3", "audio/mpeg")})
    assert again.status_code == 409 and "already exists" in again.json()["error"]
    unknown = api.post(f"/v1/callLogs/{'0' * 32}/recordings", files={"file": ("c.mp3", b"ID3", "audio/mpeg")})
    assert unknown.status_code == 404
    rows = _blob_rows(api)
    api.delete(f"/v1/callLogs/{log['id']}")
    assert _blob_rows(api) == rows - 1


def test_reset_drops_uploaded_bytes(api: Api) -> None:
    seeded = _blob_rows(api)
    assert _upload(api, BIG, lead_id=seeded_uuid("lead:Hooli data team")).json()["data"]["lead_name"]
    assert _blob_rows(api) > seeded
    assert api.client.post("/_sandbox/reset", json={"seed": "demo"}).status_code == 200
    assert _blob_rows(api) == seeded
    assert len(api.get("/v1/files").json()["data"]) == 1
