"""FHIR export bench: one patient with a year of visits (50 visits, 40 vital-sign sets each = 2,000
sets, about 8,000 FHIR Observations), and a streamed bulk export of the clinic.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kc_bench_interop SECRET_KEY=x \
        .venv/bin/python bench/fhir_bench.py [--visits 50] [--vitals-per-visit 40]

The data is built through the real actions. Times GET /fhir/Patient/{id}/$everything with a token
(median and worst of 5), the resources' validation against fhir.resources (separately: the endpoint
does not re-validate), and the bulk NDJSON stream with its peak Python memory. Writes
bench/results/fhir_bench.{json,txt}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")


def build(visits: int, per_visit: int) -> tuple[object, str, int]:
    from django.utils import timezone

    from ketaclinic.accounts.actions import do_grant_role
    from ketaclinic.accounts.models import User
    from ketaclinic.accounts.roles import Role
    from ketaclinic.clinics.actions import do_create_clinic
    from ketaclinic.courses.actions import do_create_course
    from ketaclinic.infusions.actions import do_record_vitals
    from ketaclinic.interop.actions import do_create_api_token
    from ketaclinic.patients.actions import do_register_patient
    from ketaclinic.schedule.actions import do_book_visit, do_create_chair, do_set_visit_status

    tag = uuid.uuid4().hex[:8]
    clinic = do_create_clinic(None, name=f"FHIR bench {tag}", slug=f"fhir-bench-{tag}", tz="America/New_York",
                              phone="555-0100")
    staff = User.objects.create_user(email=f"fhir-{tag}@example.org", full_name="Bench", password=None)
    for role in (Role.FRONT_DESK, Role.PROVIDER, Role.ADMIN):
        do_grant_role(None, clinic, staff, role)
    now = timezone.now()
    chair = do_create_chair(None, clinic, "Chair 1", monitor_device_id=f"M-{tag}")
    patient = do_register_patient(staff, clinic, first_name="Year", last_name=tag,
                                  date_of_birth=now.date().replace(year=1980), sex_at_birth="female")
    course = do_create_course(staff, patient, indication_code="F33.2", earliest_on=(now - timedelta(days=366)).date())
    for v in range(visits):
        start = now - timedelta(days=365) + timedelta(days=7 * v)
        visit = do_book_visit(staff, course, chair, start)
        do_set_visit_status(staff, visit, "recovering", historical=True)  # a visit that already happened
        for k in range(per_visit):
            do_record_vitals(staff, visit, systolic=118 + k % 20, diastolic=76 + k % 9, heart_rate=64 + k % 25,
                             spo2=95 + k % 5, respiratory_rate=12 + k % 6, taken_at=start + timedelta(minutes=3 * k),
                             now=start + timedelta(minutes=3 * k + 1))
        do_set_visit_status(staff, visit, "discharged", historical=True)
    raw = do_create_api_token(staff, clinic, name="bench", scope="read")[1]
    return patient, raw, clinic.pk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=50)
    parser.add_argument("--vitals-per-visit", type=int, default=40)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from fhir.resources.R4B import get_fhir_model_class

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    patient, raw, _ = build(args.visits, args.vitals_per_visit)
    setup_s = time.perf_counter() - began

    client = Client(HTTP_HOST="localhost")
    url = f"/fhir/Patient/{patient.pk}/$everything"  # type: ignore[attr-defined]
    times = []
    size = 0
    for _ in range(5):
        t = time.perf_counter()
        response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
        times.append(time.perf_counter() - t)
        if response.status_code != 200:
            raise SystemExit(f"$everything failed: {response.status_code} {response.content[:300]!r}")
        size = len(response.content)
    bundle = json.loads(response.content)
    resources = [e["resource"] for e in bundle["entry"]]
    observations = sum(r["resourceType"] == "Observation" for r in resources)

    t = time.perf_counter()
    for r in resources:
        get_fhir_model_class(r["resourceType"]).model_validate(r)
    validate_s = time.perf_counter() - t

    tracemalloc.start()
    t = time.perf_counter()
    streamed = client.get("/fhir/$export", HTTP_AUTHORIZATION=f"Bearer {raw}")
    lines = sum(chunk.count(b"\n") for chunk in streamed.streaming_content)
    bulk_s = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    result = {
        "bench": "fhir_export", "database": connection.vendor,
        "load_average_1m_at_end": round(os.getloadavg()[0], 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "visits": args.visits, "vital_sign_sets": args.visits * args.vitals_per_visit,
        "resources": len(resources), "observations": observations, "bundle_bytes": size,
        "everything_seconds": {"median": round(statistics.median(times), 3), "max": round(max(times), 3)},
        "validate_all_resources_seconds": round(validate_s, 3),
        "bulk_ndjson": {"lines": lines, "seconds": round(bulk_s, 3), "peak_python_mb": round(peak / 2**20, 1)},
        "setup_seconds": round(setup_s, 1),
    }
    text = (f"FHIR $everything, {args.visits} visits, {args.visits * args.vitals_per_visit} vital-sign sets "
            f"({observations} Observations, {len(resources)} resources, {size / 2**20:.1f} MB) on {connection.vendor}: "
            f"median {result['everything_seconds']['median']} s, worst {result['everything_seconds']['max']} s; "
            f"validating every resource with fhir.resources {validate_s:.2f} s; bulk NDJSON {lines} lines in "
            f"{bulk_s:.2f} s, peak Python memory {result['bulk_ndjson']['peak_python_mb']} MB (machine load average "
            f"{result['load_average_1m_at_end']}, {os.cpu_count()} CPUs)")
    print(text)
    if not args.no_write:
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "fhir_bench.json").write_text(json.dumps(result, indent=2) + "\n")
        (out / "fhir_bench.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
