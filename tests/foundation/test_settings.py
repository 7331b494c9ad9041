"""Settings come from the environment; a bad value stops start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"SECRET_KEY": "x" * 60, "DATABASE_URL": "sqlite:///:memory:"}


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "EMAIL_URL", "SMS_BACKEND", "ALLOWED_HOSTS",
                          "SITE_URL", "AXES_FAILURE_LIMIT", "SECRET_KEY_FILE", "SMS_HTTP_URL",
                          "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run([sys.executable, "manage.py", "check", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY: required when DEBUG is off"),
        ({"DEBUG": "maybe"}, "DEBUG: expected true or false, got 'maybe'"),
        ({"DATABASE_URL": "mysql://x@localhost/db"}, "DATABASE_URL: only sqlite:// and postgres://"),
        ({"EMAIL_URL": "ftp://mail"}, "EMAIL_URL: scheme must be smtp, smtps or console"),
        ({"EMAIL_URL": "smtp://:25"}, "EMAIL_URL: a host is required"),
        ({"SMS_BACKEND": "pigeon"}, "SMS_BACKEND: must be console or http"),
        ({"SMS_BACKEND": "http"}, "SMS_HTTP_URL: required when SMS_BACKEND is http"),
        ({"AXES_FAILURE_LIMIT": "lots"}, "AXES_FAILURE_LIMIT: expected a whole number"),
        ({"SITE_URL": "clinic.example.org"}, "SITE_URL: must start with http:// or https://"),
        ({"SECRET_KEY_FILE": "/nonexistent/secret"}, "SECRET_KEY_FILE: cannot read"),
    ],
)
def test_a_bad_value_stops_start_up_with_the_variable_named(env: dict[str, str], message: str) -> None:
    result = check({**GOOD, **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_runs_without_a_secret_key() -> None:
    assert check({"DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"}).returncode == 0


def test_check_deploy_passes_with_production_variables(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("k" * 64 + "-production-secret-value-with-enough-entropy-Zq8#")
    result = check({"SECRET_KEY_FILE": str(secret), "DATABASE_URL": "sqlite:///:memory:",
                    "ALLOWED_HOSTS": "clinic.example.org", "SITE_URL": "https://clinic.example.org",
                    "EMAIL_URL": "smtp://mailer:secret@smtp.example.org:587?starttls=true",
                    "SECURE_HSTS_PRELOAD": "true"},
                   "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
