from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.preparation.helpers import book_visit

# Tuesday 16 March 2027, 10:00 in New York (EDT, UTC-4): after the spring change.
VISIT_START = datetime(2027, 3, 16, 14, 0, tzinfo=UTC)
BOOKED_AT = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)


@pytest.fixture
def visit(patient: Any, provider: Any, front_desk: Any) -> Any:
    """A visit booked on 8 March for 16 March 10:00 New York time."""
    return book_visit(patient, VISIT_START, provider=provider, booker=front_desk, now=BOOKED_AT)


# ---- a local fake SMS provider (HTTP), for the HTTP SMS backend --------------------------------

import json  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402


@dataclass
class FakeSmsProvider:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    # status codes to answer next, in order; then 200
    fail_with: list[int] = field(default_factory=list)


@pytest.fixture
def sms_provider(settings: Any) -> Iterator[FakeSmsProvider]:
    """A local HTTP server that answers like an SMS provider's send endpoint."""
    provider = FakeSmsProvider(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            provider.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
            status = provider.fail_with.pop(0) if provider.fail_with else 200
            reply = ({"data": {"id": f"msg-{len(provider.requests)}"}} if status == 200
                     else {"errors": [{"detail": "refused"}]})
            raw = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/v2/messages"
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = provider.url
    settings.SMS_HTTP_TOKEN = "test-token"
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
