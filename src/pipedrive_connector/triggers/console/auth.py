"""The trigger console's sign-in: the token printed at start, exchanged once for a session cookie.

The token never travels in a URL (it would end up in logs and browser history): the sign-in page
posts it, and the answer sets an HttpOnly, SameSite=Strict cookie holding a digest of it. Every
form also carries a CSRF field derived from the token, checked on each POST.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request

COOKIE = "pipedrive_triggers_console"


def _derive(token: str, purpose: str) -> str:
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


class ConsoleAuth:
    def __init__(self, token: str) -> None:
        if len(token) < 16:
            raise ValueError("the console token must be at least 16 characters")
        self._token = token
        self.session = _derive(token, "session")
        self.csrf = _derive(token, "csrf")

    def __repr__(self) -> str:  # the token must never reach logs or tracebacks
        return "ConsoleAuth(token='***')"

    def token_matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self._token.encode())

    def signed_in(self, request: Request) -> bool:
        cookie = request.cookies.get(COOKIE, "")
        if cookie and hmac.compare_digest(cookie.encode(), self.session.encode()):
            return True
        bearer = request.headers.get("authorization", "")
        scheme, _, credential = bearer.partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(credential.strip())

    def csrf_ok(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self.csrf.encode())
