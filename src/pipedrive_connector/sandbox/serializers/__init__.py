"""One store, two serializations: ``v2`` (API v2 objects) and ``v1`` (legacy objects, expanded ids)."""
