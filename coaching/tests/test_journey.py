"""A coach's whole cycle in a real browser: new challenge → meet/visit/meet → resolved."""

import re

import pytest
from playwright.sync_api import expect

from coaching.models import Challenge
from testing.fixtures import axe_check, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _checked(page, where: str) -> None:
    """Every page of the journey passes axe-core (WCAG 2.1 AA) and shows no server error."""
    expect(page.locator("h1")).not_to_contain_text("Something went wrong")
    axe_check(page)
    print(f"axe ok: {where}")


def test_it_takes_a_teacher_through_a_whole_cycle_to_resolved(cast, page, live_server):
    login(page, live_server, "alice@example.org")
    page.get_by_role("link", name="Caseload", exact=True).click()
    _checked(page, "caseload")
    page.get_by_role("link", name="Maria Rivera", exact=True).click()
    _checked(page, "teacher, no challenge")

    page.get_by_role("link", name="Start a new challenge").click()
    page.get_by_label("Problems of practice").fill("Lab reports are rushed\nFew students speak in discussions")
    _checked(page, "brainstorm")
    page.get_by_role("button", name="Save brainstorm").click()

    page.get_by_label("Lab reports are rushed").check()
    page.get_by_label("What to improve").fill("the care students take over lab reports")
    page.get_by_label("Instructional", exact=True).check()
    page.get_by_label("Root cause notes").fill("Students never see a strong model report.")
    _checked(page, "identify")
    page.get_by_role("button", name="Choose this challenge").click()

    expect(page.locator("h1")).to_have_text("Step 2 · Investigate possible strategies")
    page.get_by_text("Add as a candidate: Think-pair-share with a shared doc").click()
    page.get_by_label("Source").select_option("pln")
    _checked(page, "investigate")
    page.get_by_role("button", name="Add candidate").click()
    page.get_by_role("button", name="Done investigating: select one").click()

    page.get_by_label("Think-pair-share with a shared doc").check()
    page.get_by_label("Google Docs").check()
    _checked(page, "select")
    page.get_by_role("button", name="Select and start cycle 1").click()

    focus = page.get_by_test_id("focus-statement")
    expect(focus).to_have_text(
        "Towards the goal of improving the care students take over lab reports, the teacher will attempt "
        "Think-pair-share with a "
        "shared doc. The teacher will utilize Google Docs to support this strategy."
    )
    for kind in ("planning meeting", "classroom visit", "debrief meeting"):
        page.get_by_role("link", name=f"Log or schedule the {kind}").click()
        if kind == "classroom visit":
            page.get_by_label("Observe").check()
            page.get_by_label("Data collected").fill("6 of 8 groups used the sentence frames")
        page.get_by_label("Confidential notes").fill(f"Notes for the {kind}")
        _checked(page, kind)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text("logged")

    page.get_by_role("link", name="Reflect on outcomes").click()
    page.get_by_label("Resolved — close this challenge").check()
    page.get_by_label("What happened").fill("Reports now cite evidence; the teacher wants to try peer review next.")
    _checked(page, "reflect")
    page.get_by_role("button", name="Save reflection").click()

    expect(page.get_by_role("status")).to_contain_text("Challenge resolved and closed")
    expect(page.get_by_role("link", name="Start a new challenge")).to_be_visible()
    page.get_by_text("Lab reports are rushed", exact=True).click()  # opens the past challenge
    past = page.locator("details", has_text="Lab reports are rushed")
    expect(past).to_contain_text("Towards the goal of improving the care students take over lab reports")
    timeline = past.get_by_test_id("timeline")
    expect(timeline).to_contain_text(re.compile(r"Reflection.*Resolved", re.S))
    for step in ("Planning meeting", "Classroom visit", "Debrief meeting"):
        expect(timeline).to_contain_text(step)
    _checked(page, "teacher, resolved")

    challenge = Challenge.objects.get()
    assert (challenge.status, challenge.outcome) == ("closed", "resolved")
    assert challenge.cycles.get().steps.filter(done=True).count() == 3
