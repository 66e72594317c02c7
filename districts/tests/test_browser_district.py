"""The district admin's journey: a program for Lincoln with alice, then two teachers on her caseload."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from coaching.models import Enrollment, Goal
from testing import factories as f
from testing.fixtures import axe_check, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_dana_set_up_a_program_and_assign_a_caseload(cast, page, live_server):
    for name, subject in (
        ("Ada Lovelace", "Computer Science"),
        ("Grace Hopper", "Computer Science"),
        ("Pablo Ruiz", "Art"),
    ):
        f.TeacherFactory(school=cast.school, name=name, subject=subject)
    login(page, live_server, "dana@example.org")

    page.goto(live_server.url + reverse("district:programs"))
    axe_check(page)
    page.get_by_role("link", name="New program").click()
    axe_check(page)
    page.get_by_label("Name").fill("Lincoln pilot")
    page.get_by_label("Starts on").fill("2026-08-01")
    page.get_by_label("Ends on").fill("2027-06-30")
    page.get_by_label("Lincoln Middle School").check()
    page.get_by_label("Alice").check()
    page.get_by_role("button", name="Save program").click()
    expect(page.get_by_text("Program “Lincoln pilot” saved.")).to_be_visible()
    expect(page.get_by_role("row", name="Lincoln pilot")).to_be_visible()

    # Goals are edited on the goals page, which says which programs use one before removing it.
    page.get_by_role("link", name="Edit the goals").click()
    page.locator("#id_district-title").fill("Every student collaborates weekly")
    page.get_by_role("button", name="Add district goal").click()
    expect(page.get_by_text("District goal added.")).to_be_visible()
    page.get_by_role("link", name="Remove “Every student collaborates weekly”").click()
    expect(page.get_by_text("Lincoln pilot (")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Cancel").click()
    page.goto(live_server.url + reverse("district:programs"))

    page.get_by_role("link", name="Caseloads of Lincoln pilot").click()
    page.get_by_label("Subject").fill("computer")
    page.get_by_label("Only teachers not on a caseload in this program").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("2 teachers", exact=True)).to_be_visible()
    expect(page.get_by_text("Pablo Ruiz")).to_be_hidden()
    axe_check(page)
    page.get_by_label("Ada Lovelace").check()
    page.get_by_label("Grace Hopper").check()
    page.get_by_label("Assign the ticked teachers to").select_option(label="Alice")
    page.get_by_role("button", name="Assign").click()

    expect(page.get_by_text("2 teachers assigned to Alice.")).to_be_visible()
    assert page.get_by_test_id(f"caseload-{cast.alice.pk}").inner_text() == "2"
    assert set(Enrollment.objects.filter(program__name="Lincoln pilot").values_list("coach__email", flat=True)) == {
        "alice@example.org"
    }

    page.get_by_role("link", name="Alice's caseload").click()
    expect(page.get_by_role("row", name="Ada Lovelace")).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="End Ada Lovelace's coaching").click()
    axe_check(page)
    page.get_by_role("button", name="End coaching").click()
    expect(page.get_by_text("Ada Lovelace is off Alice's caseload.")).to_be_visible()

    for name in ("district:library", "district:goals"):
        page.goto(live_server.url + reverse(name))
        axe_check(page)


def test_it_brings_a_refusal_into_view_on_a_phone_and_wraps_a_long_goal(cast, page, live_server):
    """On a phone the add forms come under the lists: a refused goal or assignment takes the screen to the reason."""
    page.set_viewport_size({"width": 390, "height": 844})
    for title in ("Writing +10", "S" * 300):
        Goal.objects.create(district=cast.district, school=cast.school, title=title)
    login(page, live_server, "paula@example.org")

    page.goto(live_server.url + reverse("district:goals"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # 300 S's wrap
    page.locator("#id_title").fill("writing  +10")
    page.get_by_role("button", name="Add goal").click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("“writing +10” is already a goal.")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport(ratio=1)  # whole, where the page opens
    axe_check(page)

    page.context.clear_cookies()
    login(page, live_server, "dana@example.org")
    page.goto(live_server.url + reverse("district:caseloads") + f"?program={cast.program.pk}")
    page.get_by_label("Assign the ticked teachers to").select_option(label="Bob")
    page.get_by_role("button", name="Assign").click()
    refusal = page.get_by_role("alert").filter(has_text="Tick at least one teacher to assign.")
    expect(refusal).to_be_focused()
    expect(refusal).to_be_in_viewport(ratio=1)
