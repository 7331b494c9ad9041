"""Every outcomes URL as owner, permitted colleague, colleague without the role, other clinic,
other patient and anonymous; list pages keep a bounded query count."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes.actions import do_add_journal_entry, do_create_custom_question
from ketaclinic.outcomes.models import SafetyTask
from tests.factories import make_patient
from tests.outcomes.conftest import phq9

NOW = datetime.fromisoformat("2027-01-05T15:00:00+00:00")


def code(client: Any, url: str) -> int:
    return int(client.get(url).status_code)


@pytest.fixture
def world(patient: Any, submit: Any, medical_director: Any, make_course: Any) -> dict[str, Any]:
    course, _ = make_course(patient)
    response = submit(patient.user, patient, "phq9", phq9(12, item9=1), NOW)
    question = do_create_custom_question(medical_director, patient.clinic, text="Pain today?", kind="scale",
                                         risk_values=[], now=NOW)
    entry = do_add_journal_entry(patient.user, patient, text="Felt calm", mood=6, tags=["insights"],
                                 submission_key="j1", now=NOW)
    return {"course": course, "response": response, "task": SafetyTask.objects.get(), "question": question,
            "entry": entry}


@pytest.mark.django_db
def test_portal_pages_are_the_patients_own(login: Any, anon: Any, patient: Any, other_patient: Any, nurse: Any,
                                           world: dict[str, Any]) -> None:
    urls = [reverse("outcomes:my_progress"), reverse("outcomes:answer", args=["phq9"]),
            reverse("outcomes:answer_custom", args=[world["question"].pk]),
            reverse("outcomes:answered", args=[world["response"].pk]), reverse("outcomes:journal"),
            reverse("outcomes:sleep_new")]
    for url in urls:
        assert code(login(patient.user), url) == 200, url       # owner
        assert code(login(nurse), url) == 404, url              # staff use the staff pages
        assert anon.get(url).status_code == 302, url            # anonymous → sign in
    assert code(login(other_patient.user), urls[3]) == 404      # another patient's answers
    assert code(login(other_patient.user), urls[0]) == 200      # their own (empty) progress page
    assert code(login(patient.user), reverse("outcomes:answer", args=["isi"])) == 404  # not shipped
    share = reverse("outcomes:journal_share", args=[world["entry"].pk])
    assert login(other_patient.user).post(share, {"shared": "1"}).status_code == 404
    assert login(nurse).post(share, {"shared": "1"}).status_code == 404


@pytest.mark.django_db
def test_staff_pages_ladder(login: Any, anon: Any, patient: Any, other_patient: Any, nurse: Any, provider: Any,
                            front_desk: Any, admin_user: Any, other_clinic_nurse: Any, world: dict[str, Any]) -> None:
    urls = [reverse("outcomes:worklist"), reverse("outcomes:safety_task", args=[world["task"].pk]),
            reverse("outcomes:patient", args=[patient.pk]),
            reverse("outcomes:staff_entry", args=[patient.pk, "gad7"]),
            reverse("outcomes:amend", args=[world["response"].pk]),
            reverse("outcomes:course_review", args=[world["course"].pk]), reverse("outcomes:custom_questions")]
    for url in urls:
        assert code(login(nurse), url) == 200, url               # permitted colleague
        assert code(login(provider), url) == 200, url
        assert code(login(front_desk), url) == 403, url          # colleague without the clinical role
        assert code(login(admin_user), url) == 403, url
        assert code(login(patient.user), url) == 404, url        # the owner uses the portal
        assert code(login(other_patient.user), url) == 404, url
        assert anon.get(url).status_code == 302, url
    for url in urls[1:6]:
        assert code(login(other_clinic_nurse), url) == 404, url  # other clinic: same as missing
    assert "Maya" not in login(other_clinic_nurse).get(urls[0]).content.decode()


@pytest.mark.django_db
def test_reports_ladder(login: Any, anon: Any, patient: Any, medical_director: Any, admin_user: Any,
                        provider: Any, nurse: Any, world: dict[str, Any]) -> None:
    for name in ("outcomes:reports", "outcomes:reports_csv", "outcomes:research_csv"):
        url = reverse(name)
        assert code(login(medical_director), url) == 200, url
        assert code(login(admin_user), url) == 200, url
        assert code(login(provider), url) == 403, url
        assert code(login(nurse), url) == 403, url
        assert code(login(patient.user), url) == 404, url
        assert anon.get(url).status_code == 302, url
    assert AuditEvent.objects.filter(action="RESEARCH_EXPORTED").count() == 2


@pytest.mark.django_db
def test_viewing_outcomes_is_audited(login: Any, patient: Any, nurse: Any, world: dict[str, Any]) -> None:
    login(nurse).get(reverse("outcomes:patient", args=[patient.pk]))
    login(nurse).get(reverse("outcomes:safety_task", args=[world["task"].pk]))
    views = list(AuditEvent.objects.filter(action="CHART_VIEWED", actor=nurse).values_list("details", flat=True))
    assert {"view": "outcomes"} in views and {"view": "safety task"} in views


@pytest.mark.django_db
def test_staff_see_only_shared_journal_entries(login: Any, patient: Any, nurse: Any, world: dict[str, Any]) -> None:
    do_add_journal_entry(patient.user, patient, text="Shared thought", mood=None, tags=[], shared=True,
                         submission_key="j2", now=NOW)
    body = login(nurse).get(reverse("outcomes:patient", args=[patient.pk])).content.decode()
    assert "Shared thought" in body and "Felt calm" not in body


def queries(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _tasks(clinic: Any, n: int, submit: Any) -> None:
    for i in range(n):
        p = make_patient(clinic)
        submit(p.user, p, "phq9", phq9(10, item9=1), NOW + timedelta(minutes=i))


@pytest.mark.django_db
def test_worklist_query_count_is_the_same_for_1_and_20_rows(login: Any, clinic: Any, nurse: Any,
                                                             submit: Any) -> None:
    client = login(nurse)
    url = reverse("outcomes:worklist")
    _tasks(clinic, 1, submit)
    client.get(url)  # warm the session
    one = queries(client, url)
    _tasks(clinic, 19, submit)
    assert queries(client, url) == one
    assert client.get(url).content.decode().count("item 9 answered 1") == 20  # one row per open task


@pytest.mark.django_db
def test_staff_home_safety_panel_query_count_is_bounded(login: Any, clinic: Any, nurse: Any, submit: Any) -> None:
    client = login(nurse)
    url = reverse("web:home")
    _tasks(clinic, 1, submit)
    client.get(url)
    one = queries(client, url)
    _tasks(clinic, 19, submit)
    assert queries(client, url) == one


@pytest.mark.django_db
def test_journal_query_count_is_the_same_for_1_and_20_rows(login: Any, patient: Any) -> None:
    def add(n: int, offset: int) -> None:
        for i in range(offset, offset + n):
            do_add_journal_entry(patient.user, patient, text=f"entry {i}", mood=5, tags=["sleep"],
                                 submission_key=f"k{i}", now=NOW)

    client = login(patient.user)
    url = reverse("outcomes:journal")
    add(1, 0)
    client.get(url)
    one = queries(client, url)
    add(19, 1)
    assert queries(client, url) == one


@pytest.mark.django_db
def test_patient_outcomes_query_count_is_the_same_for_1_and_20_rows(login: Any, patient: Any, nurse: Any,
                                                                     submit: Any) -> None:
    client = login(nurse)
    url = reverse("outcomes:patient", args=[patient.pk])
    submit(patient.user, patient, "gad7", [1] * 7, NOW)
    client.get(url)
    one = queries(client, url)
    for i in range(1, 20):
        submit(patient.user, patient, "gad7", [i % 4] * 7, NOW - timedelta(days=i))
    assert queries(client, url) == one


@pytest.mark.django_db
def test_my_progress_query_count_is_the_same_for_1_and_20_rows(login: Any, patient: Any, submit: Any,
                                                                make_course: Any) -> None:
    make_course(patient)
    client = login(patient.user)
    url = reverse("outcomes:my_progress")
    submit(patient.user, patient, "phq9", phq9(12), NOW)
    client.get(url)
    one = queries(client, url)
    for i in range(1, 20):
        submit(patient.user, patient, "phq9", phq9(12 - i % 10), NOW - timedelta(days=i))
    assert queries(client, url) == one


@pytest.mark.django_db
def test_post_endpoints_ladder(login: Any, anon: Any, patient: Any, other_patient: Any, nurse: Any,
                               medical_director: Any, other_clinic_nurse: Any, world: dict[str, Any]) -> None:
    retire = reverse("outcomes:retire_custom_question", args=[world["question"].pk])
    assert login(nurse).post(retire).status_code == 403
    assert login(other_clinic_nurse).post(retire).status_code == 404
    assert login(patient.user).post(retire).status_code == 404
    assert anon.post(retire).status_code == 302
    share = reverse("outcomes:journal_share", args=[world["entry"].pk])
    assert anon.post(share, {"shared": "1"}).status_code == 302
    assert login(other_clinic_nurse).post(share, {"shared": "1"}).status_code == 404
    world["entry"].refresh_from_db()
    assert not world["entry"].shared
    close = reverse("outcomes:safety_task", args=[world["task"].pk])
    assert login(other_clinic_nurse).post(close, {}).status_code == 404
    assert login(patient.user).post(close, {}).status_code == 404
    assert anon.post(close, {}).status_code == 302
    world["task"].refresh_from_db()
    assert world["task"].is_open
    assert login(medical_director).post(retire).status_code == 302
