"""The client's address for the public form's rate limit.

Behind a reverse proxy every request arrives from the proxy, so REMOTE_ADDR would put every
visitor in one bucket. The X-Forwarded-For header is read only when the TRUSTED_PROXY_COUNT
setting says how many proxies of ours sit in front of the app: anyone can send that header, so
only the entry our own nearest proxies appended is trusted, never the leftmost one.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def rate_limit_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR; with TRUSTED_PROXY_COUNT = N > 0, the Nth X-Forwarded-For entry from the right.

    A header with fewer entries than N (not set by our proxies) or an entry that is not an IP
    address falls back to REMOTE_ADDR.
    """
    remote = _valid(request.META.get("REMOTE_ADDR") or "")
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    entries = [e for e in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if e.strip()]
    if len(entries) < proxies:
        return remote
    return _valid(entries[-proxies]) or remote
