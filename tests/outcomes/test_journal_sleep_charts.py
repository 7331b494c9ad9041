"""Journal (private by default, shared per entry, searchable), sleep diary through protocol.sleep,
and the SVG charts (well-formed, escaped, with a table alternative)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.outcomes.actions import OutcomeError, do_add_sleep_diary_entry
from ketaclinic.outcomes.charts import Band, Marker, Point, Threshold, survival_chart, time_chart
from ketaclinic.outcomes.models import JournalEntry, SleepDiaryEntry
from ketaclinic.outcomes.reports import kaplan_meier
from tests.outcomes.conftest import phq9

NOW = datetime.fromisoformat("2027-01-12T14:00:00+00:00")
NY = ZoneInfo("America/New_York")


@pytest.mark.django_db
def test_journal_entries_are_private_until_shared_and_searchable(login: Any, patient: Any, nurse: Any) -> None:
    client = login(patient.user)
    url = reverse("outcomes:journal")
    page = client.post(url, {"text": "Colours felt brighter after the drive home", "mood": "7",
                             "tags": ["insights"], "submission_key": "a"})
    assert page.status_code == 302
    client.post(url, {"text": "Slept badly", "mood": "", "tags": ["sleep"], "submission_key": "b"})
    client.post(url, {"text": "Slept badly", "mood": "", "tags": ["sleep"], "submission_key": "b"})  # double
    assert JournalEntry.objects.count() == 2 and not JournalEntry.objects.filter(shared=True).exists()
    found = client.get(url, {"q": "colours"}).content.decode()
    assert "brighter" in found and "Slept badly" not in found
    assert "Slept badly" in client.get(url, {"tag": "sleep"}).content.decode()
    outcomes = reverse("outcomes:patient", args=[patient.pk])
    assert "brighter" not in login(nurse).get(outcomes).content.decode()
    entry = JournalEntry.objects.get(text__startswith="Colours")
    client.post(reverse("outcomes:journal_share", args=[entry.pk]), {"shared": "1"})
    assert "brighter" in login(nurse).get(outcomes).content.decode()
    client.post(reverse("outcomes:journal_share", args=[entry.pk]), {"shared": "0"})
    assert "brighter" not in login(nurse).get(outcomes).content.decode()


@pytest.mark.django_db
def test_an_empty_journal_entry_keeps_the_form(login: Any, patient: Any) -> None:
    page = login(patient.user).post(reverse("outcomes:journal"), {"text": "", "mood": "4", "submission_key": "a"})
    assert page.status_code == 200 and "This field is required" in page.content.decode()
    assert not JournalEntry.objects.exists()


SLEEP = {"night_of": "2027-01-11", "in_bed": "22:30", "tried_to_sleep": "23:00", "sleep_onset_minutes": "30",
         "awakenings": "2", "wake_after_sleep_onset_minutes": "40", "final_wake": "06:30", "out_of_bed": "07:00",
         "quality": "3"}


@pytest.mark.django_db
def test_sleep_diary_uses_the_consensus_definitions(login: Any, patient: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        assert login(patient.user).post(reverse("outcomes:sleep_new"), SLEEP).status_code == 302
        entry = SleepDiaryEntry.objects.get()
        # TIB 22:30→07:00 = 510; TST (23:00→06:30 = 450) - 30 - 40 = 380; SE = 74.5%
        assert (entry.time_in_bed_minutes, entry.total_sleep_minutes) == (510, 380)
        assert str(entry.sleep_efficiency_percent) == "74.5"
        again = login(patient.user).post(reverse("outcomes:sleep_new"), SLEEP)
        assert again.status_code == 200 and "already filled in" in again.content.decode()
        assert SleepDiaryEntry.objects.count() == 1
        body = login(patient.user).get(reverse("outcomes:my_progress")).content.decode()
        assert "Time asleep while in bed" in body and "74.5%" in body


@pytest.mark.django_db
def test_sleep_diary_errors_name_the_field(login: Any, patient: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        bad = {**SLEEP, "awakenings": "0"}
        page = login(patient.user).post(reverse("outcomes:sleep_new"), bad)
        assert page.status_code == 200 and "wake after sleep onset minutes" in page.content.decode()
        assert 'value="22:30"' in page.content.decode()
        with pytest.raises(OutcomeError):
            do_add_sleep_diary_entry(patient.user, patient, night_of=date(2027, 1, 20),
                                     in_bed=NOW, tried_to_sleep=NOW, sleep_onset_minutes=0, awakenings=0,
                                     wake_after_sleep_onset_minutes=0, final_wake=NOW + timedelta(hours=7),
                                     out_of_bed=NOW + timedelta(hours=8), quality=3)


def test_time_chart_is_well_formed_and_escaped() -> None:
    start = datetime(2027, 1, 4, 14, tzinfo=NY)
    svg = time_chart([Point(start, 20), Point(start + timedelta(days=7), 9, "<b>9</b>")],
                     title="Mood & <script>", desc="two scores", y_min=0, y_max=27, zone=NY,
                     markers=[Marker(start + timedelta(days=1), "1", "Infusion 1")],
                     bands=[Band(0, 4, "None", "sev-0"), Band(20, 27, "Severe", "sev-4")],
                     thresholds=[Threshold(4.5, "Remission ≤ 4")])
    root = ET.fromstring(  # noqa: S314 — our own markup
        str(svg))
    assert root.tag == "svg" and root.get("role") == "img"
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    assert len(root.findall("circle")) == 2 and len(root.findall("polyline")) == 1
    assert len(root.findall("rect")) == 2


def test_survival_curve_and_kaplan_meier() -> None:
    curve = kaplan_meier([(10, True), (20, False), (30, True), (40, False)])
    assert curve == [(10, 0.75), (30, 0.375)]
    assert ET.fromstring(  # noqa: S314 — our own markup
        str(survival_chart(curve, title="t", desc="d"))).tag == "svg"


@pytest.mark.django_db
def test_provider_chart_has_bands_and_patient_chart_is_plain(login: Any, patient: Any, nurse: Any,
                                                              submit: Any) -> None:
    submit(patient.user, patient, "phq9", phq9(20), NOW - timedelta(days=10))
    submit(patient.user, patient, "phq9", phq9(9), NOW)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        mine = login(patient.user).get(reverse("outcomes:my_progress")).content.decode()
        theirs = login(nurse).get(reverse("outcomes:patient", args=[patient.pk])).content.decode()
    assert "Mood (PHQ-9)" in mine and "went from 20 to 9" in mine and "band sev-" not in mine
    assert "band sev-" in theirs and "Remission ≤ 4" in theirs and "Response: 50%" in theirs
    assert "Show the numbers as a table" in mine and "<table>" in mine
