"""How API callers sign in: a bearer token (machines) or the browser session (the UI).

An integration token acts through its own service account, a personal token as its person
seen only at the token's clinic; either way every endpoint passes one user to the same access
functions the UI uses. A read-scoped token is refused on any write before the
endpoint runs.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from ketaclinic.interop.actions import authenticate_api_token
from ketaclinic.interop.models import ApiToken

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer kc_…` with a token an admin created (Clinic → API tokens)."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = authenticate_api_token(token)
        if api_token is None:
            return None
        if request.method not in SAFE_METHODS and not api_token.can_write:
            raise HttpError(403, "This token is read-only. Ask your clinic's admin for a write token.")
        return api_token


class StaffSessionAuth(SessionAuth):
    """The signed-in browser session (CSRF checked on writes). The two-step sign-in middleware
    has already refused unverified staff sessions on /api/."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


token_auth = TokenAuth()
session_auth = StaffSessionAuth()


def acting_user(request: HttpRequest) -> Any:
    """The user whose permissions apply: the token's service account, or the session user."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiToken):
        return auth.acting_user()
    return request.user


def request_token(request: HttpRequest) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None
