"""The schedule tests' clinic set-up (two chairs, weekday hours, a nurse on shift for three weeks)."""

from tests.schedule.conftest import chairs

__all__ = ["chairs"]
