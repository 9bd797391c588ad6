"""PKCE (RFC 7636) in the sandbox OAuth server: S256 challenges at authorize, verifiers at token.

Pipedrive's OAuth documentation does not mention PKCE; the sandbox supports it so that clients (such
as ``pipedrive auth login``) can use it, and a server that does not know the parameters ignores them.
Only ``S256`` is accepted: ``plain`` protects nothing when the authorize URL is observed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

PKCE_METHOD = "S256"
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.1
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of 32 bytes, no padding


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def challenge_problem(challenge: str | None, method: str | None) -> str | None:
    """Why an authorize request's PKCE parameters are refused; None when absent or acceptable."""
    if challenge is None:
        return "code_challenge_method was sent without code_challenge" if method is not None else None
    if method != PKCE_METHOD:  # absent means "plain" (RFC 7636 §4.3)
        return "code_challenge_method must be S256 (plain is not supported)"
    if not _S256_CHALLENGE.match(challenge):
        return "code_challenge is not an S256 challenge (43 base64url characters)"
    return None


def verifier_matches(verifier: str, challenge: str) -> bool:
    return bool(_VERIFIER.match(verifier)) and secrets.compare_digest(s256(verifier), challenge)
