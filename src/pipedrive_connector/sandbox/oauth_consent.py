"""The HTML consent page of the sandbox OAuth server (the "Allow and install" step)."""

from __future__ import annotations

from html import escape

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Pipedrive sandbox: authorize {client_id}</title></head>
<body>
<h1>Authorize app</h1>
<p>The app <strong>{client_id}</strong> asks for access to your Pipedrive sandbox account
(user {user_id}) with the scopes: <code>{scope}</code>.</p>
<form method="post" action="/oauth/authorize">
{hidden}
<button type="submit" name="decision" value="allow">Allow and install</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form>
</body>
</html>
"""


def consent_page(fields: dict[str, str]) -> str:
    """The consent form; ``fields`` are posted back unchanged as hidden inputs."""
    hidden = "\n".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    return _PAGE.format(
        client_id=escape(fields.get("client_id", "")),
        user_id=escape(fields.get("user_id", "")),
        scope=escape(fields.get("scope", "")),
        hidden=hidden,
    )
