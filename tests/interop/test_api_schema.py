"""Fuzz every API endpoint from its own OpenAPI schema (schemathesis), with a write token.

No answer may be a 5xx, and every answer must match the schema (status code, content type,
body). The number of examples is bounded so the suite stays quick.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from tests.interop.conftest import book_visit

pytestmark = pytest.mark.django_db


def _load_schema() -> Any:
    # pytest-django has configured Django before test modules are imported; serving the
    # schema needs no database.
    from ketaclinic.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/openapi.json", application)


schema = _load_schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """schemathesis calls the bare WSGI app, whose request signals would close the test's
    database connection (and its transaction) on PostgreSQL; Django's test client unhooks them too."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token_headers(write_token: str, patient: Any, monitored_chair: Any, provider: Any,
                  front_desk: Any) -> dict[str, str]:
    book_visit(patient, monitored_chair, provider, front_desk)  # something real to read
    return {"Authorization": f"Bearer {write_token}"}


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_survives_fuzzing(case: Any, token_headers: dict[str, str]) -> None:
    excluded = []
    if case.method == "POST":
        # Clinical rules the schema cannot express (a birth date in the past, after 1900; no duplicate
        # chart) answer 422/409 to otherwise schema-valid input; every other check still runs.
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers=token_headers, excluded_checks=excluded)


def test_the_schema_and_docs_are_served(client: Any) -> None:
    schema_json = client.get("/api/openapi.json").json()
    assert schema_json["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert {"/api/patients", "/api/visits", "/api/chairs", "/api/courses", "/api/me"} <= set(schema_json["paths"])
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "GET /api/patients" in page and "Bearer" in page
    assert "<script>" not in page  # no inline script (CSP)
