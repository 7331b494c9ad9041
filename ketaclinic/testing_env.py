"""pytest plugin loaded with `-p` before Django starts: test-only environment defaults.

The settings module refuses to start without SECRET_KEY when DEBUG is off, and tests run
with DEBUG off (production-like); this gives them a throwaway key. Real deployments never
load this module.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:2525")
# Playwright's sync API runs an event loop in the test thread; the ORM calls the test makes
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
