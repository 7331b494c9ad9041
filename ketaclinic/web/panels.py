"""Home-screen panels contributed by stage apps.

A stage app registers a function that returns a rendered fragment (or None) for the staff or
patient home, so the home view never imports other apps' views (import-linter contract).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

PanelFunction = Callable[..., str | None]
_PANELS: dict[str, list[tuple[int, PanelFunction]]] = {"staff": [], "patient": [], "chart": []}


def register_panel(audience: str, order: int = 50) -> Callable[[PanelFunction], PanelFunction]:
    def decorator(func: PanelFunction) -> PanelFunction:
        _PANELS[audience].append((order, func))
        _PANELS[audience].sort(key=lambda item: item[0])
        return func

    return decorator


def home_panels(request: HttpRequest, clinic: Any, audience: str, **kwargs: Any) -> list[str]:
    rendered = (func(request, clinic, **kwargs) for _, func in _PANELS[audience])
    return [html for html in rendered if html]
