"""A patient uses the portal with the keyboard only (Tab, Shift+Tab, Space, Enter): signs in,
answers a PHQ-9, writes a journal entry and sends a message. Every element that takes focus on
the way shows a visible focus ring (computed outline or box-shadow)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.portal.layout import focus_indicator, has_visible_focus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {name: '', type: '', field: ''};
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  const name = (el.getAttribute('aria-label') || label || el.innerText || el.value || '').trim().replace(/\\s+/g, ' ');
  return {name: name, type: (el.type || el.tagName).toLowerCase(), field: el.name || ''};
}"""


class Keyboard:
    """Moves through a page with Tab and Shift+Tab only, checking the focus ring at every stop."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.stops_without_focus_ring: list[dict[str, str]] = []

    def focused(self) -> dict[str, str]:
        return dict(self.page.evaluate(_FOCUSED))

    def tab(self, key: str = "Tab") -> dict[str, str]:
        self.page.keyboard.press(key)
        # Focus on <body> means the document itself (before the first stop or past the last): no ring.
        if self.page.evaluate("() => document.activeElement !== document.body") and not has_visible_focus(self.page):
            self.stops_without_focus_ring.append(focus_indicator(self.page))
        return self.focused()

    def tab_to(self, name: str, *, backwards: bool = False) -> None:
        """Press Tab (or Shift+Tab) until the focused element's label or text starts with `name`."""
        for _ in range(MAX_TABS):
            if self.tab("Shift+Tab" if backwards else "Tab")["name"].startswith(name):
                return
        raise AssertionError(f"{name!r} not reached with the keyboard")

    def follow(self, name: str) -> None:
        """Tab to a link or button and press Enter; wait for the next page."""
        self.tab_to(name)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


def test_patient_answers_phq9_writes_journal_and_sends_message_with_keyboard_only(
        page: Any, portal_patient: Any) -> None:
    from ketaclinic.messaging.models import Conversation
    from ketaclinic.outcomes.models import JournalEntry, QuestionnaireResponse
    from tests.factories import PASSWORD

    keys = Keyboard(page)
    page.goto(page.base_url + "/accounts/login/")
    keys.tab_to("Email")
    page.keyboard.type(portal_patient.user.email)
    keys.tab_to("Password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maya")

    # PHQ-9: open "Answer a questionnaire any time" with Enter, then one Space per question.
    keys.follow("My progress")
    keys.tab_to("Answer a questionnaire any time")
    page.keyboard.press("Enter")
    keys.follow("PHQ-9 (mood)")
    before = QuestionnaireResponse.objects.count()
    keys.tab_to("Not at all")
    for item in range(1, 10):
        assert keys.focused()["field"] == f"q{item}"
        page.keyboard.press("Space")  # chooses "Not at all"
        keys.tab()
    keys.tab_to("Send my answers")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert QuestionnaireResponse.objects.count() == before + 1
    assert QuestionnaireResponse.objects.latest("id").total == 0

    # Journal: type, tick a tag with Space, go back with Shift+Tab to fix the text, save with Enter.
    keys.follow("Journal")
    keys.tab_to("What would you like to write down?")
    page.keyboard.type("Slept well. Calm today")
    keys.tab_to("Sleep")
    page.keyboard.press("Space")
    keys.tab_to("What would you like to write down?", backwards=True)
    page.keyboard.type(".")
    keys.tab_to("Save entry")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    entry = JournalEntry.objects.filter(patient=portal_patient).latest("id")
    assert (entry.text, entry.tags, entry.shared) == ("Slept well. Calm today.", ["sleep"], False)

    # Message: the topic keeps its first choice; subject and message typed; Enter on Send.
    keys.follow("Messages")
    keys.follow("Write to your care team")
    keys.tab_to("Subject")
    page.keyboard.type("Ride home")
    keys.tab_to("Your message")
    page.keyboard.type("Can my sister drive me home on Friday?")
    keys.tab_to("Send")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    conversation = Conversation.objects.filter(patient=portal_patient).latest("id")
    assert conversation.subject == "Ride home"
    assert conversation.messages.get().body == "Can my sister drive me home on Friday?"

    assert keys.stops_without_focus_ring == []
