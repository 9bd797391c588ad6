"""OAuth scopes: which scopes a request path needs (Pipedrive answers 403 "Scope and URL mismatch").

A token whose app declared no scopes (only the implicit ``base``) is not restricted: a sandbox app
registered without scopes gets everything, so quick tests need no scope bookkeeping.
"""

from __future__ import annotations

# First path segment → the scope family guarding it (from the specs' ``security`` blocks).
FAMILY = {
    "deals": "deals",
    "pipelines": "deals",
    "stages": "deals",
    "dealFields": "deals",
    "persons": "contacts",
    "organizations": "contacts",
    "personFields": "contacts",
    "organizationFields": "contacts",
    "activities": "activities",
    "leads": "leads",
    "leadLabels": "leads",
    "leadSources": "leads",
    "leadFields": "leads",
}
ADMIN_WRITES = ("pipelines", "stages", "dealFields", "personFields", "organizationFields")
FIELD_SCOPES = {"dealFields": "deal-fields:full", "personFields": "contact-fields:full",
                "organizationFields": "contact-fields:full"}  # fmt: skip


def _segments(path: str) -> list[str]:
    for prefix in ("/api/v2/", "/api/v1/", "/v1/"):
        if path.startswith(prefix):
            return [part for part in path[len(prefix) :].split("/") if part]
    return []


def allowed(path: str, method: str, scopes: frozenset[str]) -> bool:
    """Whether an OAuth token with ``scopes`` may call ``method path``."""
    if not scopes - {"base"}:
        return True
    segments = _segments(path)
    if not segments:
        return True
    resource = segments[0]
    reading = method.upper() in ("GET", "HEAD")
    if resource == "users":
        return segments[1:] == ["me"] or (reading and bool({"users:read", "admin"} & scopes))
    if resource == "currencies":
        return True
    if resource == "itemSearch" or segments[-1] == "search":
        family = FAMILY.get(resource)
        entity = {f"{family}:read", f"{family}:full"} if family else set()
        return bool(({"search:read"} | entity) & scopes)
    if resource == "filters":
        families = {"deals", "contacts", "activities", "leads"}
        wanted = (
            {f"{f}:read" for f in families} | {f"{f}:full" for f in families}
            if reading
            else {f"{f}:full" for f in families}
        )
        return bool(wanted & scopes)
    family = FAMILY.get(resource)
    if family is None:
        return True  # webhooks and other plug-in paths check their own scopes
    if not reading and resource in ADMIN_WRITES:
        return bool({"admin", FIELD_SCOPES.get(resource, "admin")} & scopes)
    wanted = {f"{family}:read", f"{family}:full"} if reading else {f"{family}:full"}
    if reading and resource in ADMIN_WRITES:
        wanted.add("admin")
    return bool(wanted & scopes)
