"""SMS backends: an interface, a console backend for development, and an HTTP backend.

settings.SMS_BACKEND chooses: "console" (prints, keeps an in-memory outbox for tests) or
"http" (POST to settings.SMS_HTTP_URL with settings.SMS_HTTP_TOKEN). The HTTP backend speaks
the shape shared by common providers' "send message" endpoints (Telnyx v2 /messages; similar
to Vonage and Plivo): JSON {"to", "text"[, "from"]}, bearer token, a JSON reply with the
provider's message id in data.id (or id / sid). It sends an Idempotency-Key header so a
provider that honours it drops a re-send of the same message.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """Sending failed. `permanent` means a retry cannot help (bad number, refused)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        """Send one text message; return the provider's message id. Raise SmsError."""
        ...


@dataclass
class SentSms:
    to: str
    body: str
    idempotency_key: str


class ConsoleSmsBackend:
    """Writes each message to stdout; `outbox` keeps them for tests and the demo."""

    outbox: list[SentSms] = []

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        ConsoleSmsBackend.outbox.append(SentSms(to, body, idempotency_key))
        sys.stdout.write(f"SMS to {to}: {body}\n")
        return f"console-{idempotency_key}"


class HttpSmsBackend:
    def __init__(self, url: str, token: str, sender: str = "", timeout: float = 15.0) -> None:
        self.url = url
        self.token = token
        self.sender = sender
        self.timeout = timeout

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        payload: dict[str, Any] = {"to": to, "text": body}
        if self.sender:
            payload["from"] = self.sender
        request = urllib.request.Request(  # noqa: S310 — the URL is the operator's configured provider
            self.url, data=json.dumps(payload).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Authorization": f"Bearer {self.token}", "Idempotency-Key": idempotency_key})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            # 4xx other than 408/429 is the provider refusing this message: retrying will not help.
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise SmsError(f"SMS provider answered {exc.code}: {detail}", permanent=permanent) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"SMS provider unreachable: {exc}") from None
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise SmsError("SMS provider sent a reply that is not JSON") from None
        inner = data.get("data") if isinstance(data.get("data"), dict) else data
        provider_id = inner.get("id") or inner.get("sid") or inner.get("message_id") or ""
        return str(provider_id)


def get_sms_backend() -> SmsBackend:
    if settings.SMS_BACKEND == "http":
        return HttpSmsBackend(settings.SMS_HTTP_URL or "", settings.SMS_HTTP_TOKEN or "",
                              sender=getattr(settings, "SMS_FROM", "") or "")
    return ConsoleSmsBackend()
