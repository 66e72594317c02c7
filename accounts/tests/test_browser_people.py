"""A district admin invites a coach, who joins from the e-mailed link; the pages pass axe-core."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role, User
from testing.fixtures import axe_check, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/account/invitations/[\w-]+/)")


def test_it_invites_a_coach_who_joins_from_the_emailed_link(cast, page, live_server, mailoutbox):
    login(page, live_server, "dana@example.org")
    page.goto(live_server.url + reverse("accounts:people"))
    axe_check(page)

    page.get_by_role("link", name="Invite someone").click()
    axe_check(page)
    page.get_by_label("E-mail address").fill("nina@example.org")
    page.get_by_label("Full name").fill("Nina Okafor")
    page.get_by_label("Coach", exact=True).check()
    page.get_by_label(cast.school.name).check()
    page.get_by_role("button", name="Send the invitation").click()

    page.get_by_text("Invitation sent to nina@example.org").wait_for()
    expect(page.get_by_role("rowheader", name=re.compile("nina@example.org"))).to_be_visible()
    axe_check(page)  # the People page with a pending invitation
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(reverse("login")))

    [message] = mail.outbox  # sent by the live server's thread, in this process
    page.goto(live_server.url + LINK.search(message.body).group(1))
    expect(page.get_by_role("heading", name="Join Riverside Unified on Cadence")).to_be_visible()
    axe_check(page)
    page.get_by_label("Full name").fill("Nina Okafor")
    page.get_by_label("Choose a password").fill("a-long-Cadence-passphrase-42")
    page.get_by_label("Repeat the password").fill("a-long-Cadence-passphrase-42")
    page.get_by_role("button", name="Create my account").click()

    page.wait_for_url(live_server.url + reverse("coaching:home"))
    expect(page.get_by_text("Welcome to Cadence, Nina.")).to_be_visible()
    nina = User.objects.get(email="nina@example.org")
    assert nina.membership.role == Role.COACH and list(nina.membership.schools.all()) == [cast.school]


def test_it_changes_a_role_from_an_accessible_page(cast, page, live_server):
    login(page, live_server, "dana@example.org")
    page.goto(live_server.url + reverse("accounts:member_edit", kwargs={"membership_id": cast.bob.membership.pk}))
    axe_check(page)

    page.get_by_label("Principal").check()
    page.get_by_role("button", name="Save").click()

    page.get_by_text("Bob is now principal.").wait_for()
    cast.bob.membership.refresh_from_db()
    assert cast.bob.membership.role == Role.PRINCIPAL
