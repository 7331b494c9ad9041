"""The JSON API (django-ninja) mounted at /api/. The interop work fills it in."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="ketaclinic API", version="1", urls_namespace="api")
