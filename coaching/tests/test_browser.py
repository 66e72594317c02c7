"""Smoke test of the browser fixtures: a coach signs in through the real page; both pages pass axe."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from testing.fixtures import axe_check, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_signs_alice_in_and_her_home_page_passes_axe(cast, page, live_server):
    page.goto(live_server.url + reverse("login"))
    axe_check(page)

    login(page, live_server, "alice@example.org")

    assert page.url == live_server.url + reverse("coaching:home")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    axe_check(page)
