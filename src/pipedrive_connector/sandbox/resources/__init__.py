"""One module per Pipedrive resource; each exposes ``routes() -> list[BaseRoute]``."""
