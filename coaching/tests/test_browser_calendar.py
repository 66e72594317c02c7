"""The coach's calendar settings, the Cancel action and the digest settings, in Chromium (axe on each page)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from coaching import services
from coaching.models import Step
from testing.fixtures import axe_check, login
from testing.ical import read

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_makes_copies_and_subscribes_to_the_calendar_link(cast, page, live_server, settings):
    settings.SITE_URL = live_server.url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, live_server, "alice@example.org")

    page.get_by_role("link", name="Calendar").click()
    axe_check(page)
    page.get_by_role("button", name="Make my calendar link").click()
    link = page.get_by_label("Your calendar link").input_value()
    assert link.startswith(live_server.url + "/calendar/feed/") and link.endswith(".ics")
    axe_check(page)

    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link

    feed = page.request.get(link)  # as a calendar would: no session needed
    assert feed.status == 200 and read(feed.body()) == []

    page.get_by_role("button", name="Turn the link off").click()
    expect(page.get_by_role("button", name="Make my calendar link")).to_be_visible()
    assert page.request.get(link).status == 404


def test_it_cancels_a_scheduled_step_after_asking(cast, page, live_server, implementing_challenge, tomorrow_at_ten):
    step = services.step_log(
        challenge=implementing_challenge, kind=Step.Kind.PLAN_MEETING, done=False, starts_at=tomorrow_at_ten
    )
    login(page, live_server, "alice@example.org")

    page.goto(live_server.url + reverse("coaching:step_edit", args=[step.pk]))
    page.get_by_role("link", name="Cancel this planning meeting…").click()
    axe_check(page)
    page.get_by_role("button", name="Cancel the planning meeting").click()

    assert page.url == live_server.url + reverse("coaching:teacher", args=[cast.teacher.pk])
    expect(page.get_by_text("Planning meeting cancelled.")).to_be_visible()
    assert not Step.objects.filter(pk=step.pk).exists()


@pytest.mark.parametrize(("email", "nav"), [("alice@example.org", None), ("paula@example.org", "E-mail")])
def test_it_lets_people_set_their_digest(cast, page, live_server, email, nav):
    login(page, live_server, email)
    if nav:
        page.get_by_role("link", name=nav).click()
    else:
        page.goto(live_server.url + reverse("coaching:calendar"))
        page.get_by_role("link", name="E-mail digest settings").click()
    axe_check(page)

    page.get_by_label("Time").fill("06:45")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Digest settings saved.")).to_be_visible()
    assert page.get_by_label("Time").input_value() == "06:45"
