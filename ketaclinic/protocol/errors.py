"""Errors shared by the pure rules."""

from __future__ import annotations


class InputError(ValueError):
    """Input to a rule is missing or invalid. `field` names the offending item."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
