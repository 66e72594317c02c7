"""Single sign-on end to end: headless Chromium, Cadence on the live server, and a real OpenID Connect
provider (panva/oidc-provider on Node.js, testing/oidc/) on 127.0.0.1. No HTTP is mocked."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from testing.fixtures import axe_check, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in_at_provider(page, live_server, email: str) -> None:
    """From Cadence's sign-in page through the provider's own pages, as a person would.

    A browser the provider already knows (signed in there earlier in the test) comes straight back.
    """
    page.goto(live_server.url + reverse("login"))
    page.get_by_role("button", name="Sign in with Clever").click()
    back = re.compile("^" + re.escape(live_server.url) + "/(?!login/sso/)")
    page.wait_for_url(re.compile(rf"^http://127\.0\.0\.1:\d+/interaction/|{back.pattern}"))
    if "/interaction/" in page.url and page.locator("input[name=login]").count():
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill("anything")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()  # the provider's consent page
    page.wait_for_url(back)


def test_it_signs_an_existing_coach_in_through_the_district_provider(cast, oidc_provider, page, live_server):
    page.goto(live_server.url + reverse("login"))
    axe_check(page)

    _sign_in_at_provider(page, live_server, "Alice@Example.org")

    assert page.url == live_server.url + reverse("coaching:home")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Alice")
    assert cast.alice.socialaccount_set.get().provider == "oidc-riverside"  # linked by the verified address

    page.get_by_role("button", name="Sign out").click()  # and again: the link is found, the checks rerun
    _sign_in_at_provider(page, live_server, "alice@example.org")
    assert page.url == live_server.url + reverse("coaching:home")


@pytest.mark.parametrize(
    ("email", "refusal"),
    [
        ("nobody@example.org", "nobody@example.org has no Cadence account in Riverside Unified."),
        ("alice@gmail.com", "Riverside Unified signs in only addresses at example.org with Clever"),
        ("oscar@example.org", "oscar@example.org has no Cadence account in Riverside Unified."),  # another district
        ("unverified.alice@example.org", "Clever did not confirm an e-mail address"),
    ],
)
def test_it_refuses_whoever_is_not_a_member_and_creates_no_account(
    cast, oidc_provider, page, live_server, email, refusal
):
    users = User.objects.count()

    _sign_in_at_provider(page, live_server, email)

    assert page.url == live_server.url + reverse("login")
    expect(page.locator(".alert-danger")).to_contain_text(refusal)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert User.objects.count() == users
    axe_check(page)


def test_it_refuses_a_deactivated_coach_even_after_linking(cast, oidc_provider, page, live_server):
    _sign_in_at_provider(page, live_server, "bob@example.org")  # linked while active
    page.get_by_role("button", name="Sign out").click()
    User.objects.filter(pk=cast.bob.pk).update(is_active=False)

    _sign_in_at_provider(page, live_server, "bob@example.org")

    assert page.url == live_server.url + reverse("login")
    expect(page.locator(".alert-danger")).to_contain_text("The Cadence account for bob@example.org is deactivated.")
    page.goto(live_server.url + reverse("coaching:home"))
    assert page.url.startswith(live_server.url + reverse("login"))  # not signed in


def test_it_keeps_password_sign_in_beside_the_provider(cast, oidc_provider, page, live_server):
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("E-mail address").fill("alice@example.org")
    page.locator("#id_password").fill("password")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_it_lets_dana_switch_a_provider_on_by_keyboard(cast, page, live_server):
    login(page, live_server, "dana@example.org")
    page.goto(live_server.url + reverse("accounts:people"))
    page.get_by_role("link", name="Sign-in settings").click()
    axe_check(page)
    page.get_by_role("link", name="Set up Google sign-in").click()
    axe_check(page)
    page.get_by_label("Let people sign in this way").check()
    page.get_by_label("Client ID").fill("123.apps.googleusercontent.com")
    page.get_by_label("Client secret").fill("GOCSPX-secret-0000-abcd")
    page.get_by_label("Allowed e-mail domains").fill("example.org")
    page.get_by_label("Allowed e-mail domains").press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Sign-in with Google is on.")).to_be_visible()
    expect(page.get_by_text("••••abcd")).to_be_visible()
    axe_check(page)
