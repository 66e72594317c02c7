"""A district admin stands up a school year in the browser: import → program → invite → assign,
until the new coach signs in and finds their caseload. No Django admin, no shell."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from testing.fixtures import axe_check, login
from testing.roster_files import oneroster, org, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINK = re.compile(r"https?://[^/\s]+(/account/invitations/[\w-]+/)")


def test_it_takes_a_district_from_a_oneroster_export_to_a_coach_with_a_caseload(cast, page, live_server):
    login(page, live_server, "dana@example.org")

    page.get_by_role("link", name="Rosters").click()
    roster = oneroster(
        [org("sch-w", "Washington High School")],
        [user("t-1", "Ana", "Lopez", orgs="sch-w"), user("t-2", "Ben", "Cho", orgs="sch-w")],
    )
    page.get_by_label("Roster files").set_input_files(
        {"name": "sis.zip", "mimeType": "application/zip", "buffer": roster}
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", name=re.compile(r"Imported \d+ schools? and \d+ teachers?"))).to_be_visible()

    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("E-mail address").fill("nina@example.org")
    page.get_by_label("Full name").fill("Nina Okafor")
    page.get_by_label("Coach", exact=True).check()
    page.get_by_label("Washington High School").check()
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_text("Invitation sent to nina@example.org").wait_for()
    page.get_by_role("button", name="Sign out").click()

    [message] = mail.outbox
    page.goto(live_server.url + LINK.search(message.body).group(1))
    page.get_by_label("Full name").fill("Nina Okafor")
    page.get_by_label("Choose a password").fill("a-long-Cadence-passphrase-42")
    page.get_by_label("Repeat the password").fill("a-long-Cadence-passphrase-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(live_server.url + reverse("coaching:home"))
    page.get_by_role("button", name="Sign out").click()

    login(page, live_server, "dana@example.org")
    page.get_by_role("link", name="Programs").click()
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name").fill("2027–28 coaching")
    page.get_by_label("Starts on").fill("2026-08-01")
    page.get_by_label("Ends on").fill("2027-06-30")
    page.get_by_label("Washington High School").check()
    page.get_by_label("Nina Okafor").check()
    page.get_by_role("button", name="Save program").click()
    page.get_by_role("link", name="Caseloads of 2027–28 coaching").click()
    page.get_by_label("Ana Lopez").check()
    page.get_by_label("Ben Cho").check()
    page.get_by_label("Assign the ticked teachers to").select_option(label="Nina Okafor")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("2 teachers assigned to Nina Okafor.")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Sign out").click()

    login(page, live_server, "nina@example.org", "a-long-Cadence-passphrase-42")
    page.get_by_role("link", name="Caseload", exact=True).click()
    expect(page.get_by_role("rowheader", name=re.compile("Ana Lopez"))).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile("Ben Cho"))).to_be_visible()
    expect(page.get_by_text("2 teachers")).to_be_visible()
    axe_check(page)
