"""Cross-setting rules, checked at start-up and by `manage.py check`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def check_server_time_zone(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.TIME_ZONE != "UTC" or not settings.USE_TZ:
        return [Error("The server must run in UTC with USE_TZ on; clinics have their own zones.",
                      hint="Do not change TIME_ZONE; set each clinic's time zone instead.", id="ketaclinic.E001")]
    return []


@register(deploy=True)
def check_site_url(app_configs: Any, **kwargs: Any) -> list[Warning]:
    from urllib.parse import urlsplit

    host = urlsplit(settings.SITE_URL).hostname or ""
    if host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        return [Warning(f"SITE_URL host {host!r} is not in ALLOWED_HOSTS.",
                        hint="Links in emails would point at a host this server refuses.", id="ketaclinic.W001")]
    if not settings.SITE_URL.startswith("https://"):
        return [Warning("SITE_URL is not https; patient links would travel unencrypted.",
                        hint="Serve the site over TLS and set SITE_URL=https://…", id="ketaclinic.W002")]
    return []
