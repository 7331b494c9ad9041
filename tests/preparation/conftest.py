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
