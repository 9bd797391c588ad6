"""Where followers and deal participants are stored, and their counts (for the entity shapes).

``resources/followers.py`` and ``resources/participants.py`` write these records; the v1 and v2
serializers count them (``followers_count``, ``participants_count``) without importing resources.
"""

from __future__ import annotations

from pipedrive_connector.sandbox.store import Store

FOLLOWER = "follower"
FOLLOWER_CHANGE = "followerChange"
PARTICIPANT = "dealParticipant"
# The indexed store column that also holds the followed record's id, where the kind has one.
FOLLOWED_COLUMNS = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}


def followers_count(store: Store, kind: str, entity_id: int) -> int:
    column = FOLLOWED_COLUMNS.get(kind, "object_id")
    return store.count(FOLLOWER, where={column: entity_id, "object_type": kind})


def participants_count(store: Store, deal_id: int) -> int:
    return store.count(PARTICIPANT, where={"deal_id": deal_id})
