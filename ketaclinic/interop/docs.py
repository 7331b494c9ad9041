"""The API documentation page: rendered on the server from the OpenAPI schema (no scripts, so
it works under the site's content security policy)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI


class ApiDocs(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        operations = []
        for path, methods in schema["paths"].items():
            for method, op in methods.items():
                params = [{"name": p["name"], "where": p["in"], "required": p.get("required", False),
                           "description": p.get("description", "")} for p in op.get("parameters", [])]
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                operations.append({
                    "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                    "tags": ", ".join(op.get("tags", [])), "params": params,
                    "body": json.dumps(body) if body else "",
                    "statuses": ", ".join(sorted(str(code) for code in op.get("responses", {}))),
                })
        return render(request, "interop/api_docs.html", {
            "api": api, "description": schema["info"].get("description", ""), "operations": operations,
            "openapi_url": reverse(f"{api.urls_namespace}:openapi-json", kwargs=kwargs),
        })
