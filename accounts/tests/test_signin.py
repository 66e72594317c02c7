"""Signing in: throttling with django-axes, deactivated accounts, and resetting a password by e-mail."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.signin import LOCKOUT_MESSAGE, client_ip

ADDRESS_LIMIT = 20  # failures from one address across accounts (settings.SIGNIN_ADDRESS_FAILURE_LIMIT)

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"https?://[^/\s]+(/account/password-reset/[^\s]+/)")


def _sign_in(client, email, password="password", ip="10.0.0.1"):  # noqa: S107 - the factories' password
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def _fail(client, times, email="alice@example.org", ip="10.0.0.1"):
    for _ in range(times):
        response = _sign_in(client, email, "wrong-password", ip)
    return response


def _locked_out(response) -> bool:
    return response.status_code == 429 and LOCKOUT_MESSAGE in response.content.decode()


def test_it_signs_in_with_the_email_address(cast, client):
    response = _sign_in(client, "Alice@Example.org ")
    assert response.status_code == 302 and response["Location"] == reverse("coaching:home")


def test_it_links_to_password_reset_from_the_login_page(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("accounts:password_reset")}">Forgot your password?' in page


def test_it_still_lets_four_failures_through(cast, client):
    assert _fail(client, 4).status_code == 200
    assert _sign_in(client, "alice@example.org").status_code == 302


def test_it_locks_an_account_after_five_failures_even_with_the_right_password(cast, client):
    assert _locked_out(_fail(client, 5))

    response = _sign_in(client, "alice@example.org")

    assert _locked_out(response)
    assert "_auth_user_id" not in client.session
    assert 'value="alice@example.org"' in response.content.decode()  # the login page again, with the address
    assert f'href="{reverse("accounts:password_reset")}"' in response.content.decode()


def test_it_locks_the_account_only_at_the_address_that_failed(cast, client):
    """Five bad passwords from anywhere must not keep a coach out of Cadence all day long."""
    _fail(client, 5, email="alice@example.org", ip="10.0.0.1")
    assert _locked_out(_sign_in(client, "ALICE@example.org", ip="10.0.0.1"))

    assert _sign_in(client, "ALICE@example.org", ip="10.9.9.9").status_code == 302
    client.logout()
    assert _sign_in(client, "bob@example.org", ip="10.9.9.9").status_code == 302
    client.logout()
    assert _sign_in(client, "bob@example.org", ip="10.0.0.1").status_code == 302  # another account, same address


def test_it_locks_an_address_that_guesses_many_accounts(cast, client):
    for n in range(ADDRESS_LIMIT):
        _fail(client, 1, email=f"guess{n}@example.org", ip="10.0.0.1")

    assert _locked_out(_sign_in(client, "bob@example.org", ip="10.0.0.1"))
    assert _sign_in(client, "bob@example.org", ip="10.0.0.2").status_code == 302


def test_it_lets_an_address_fail_just_under_its_limit(cast, client):
    """A school's network shares one address: its people's typos must not lock the whole school out."""
    for n in range(ADDRESS_LIMIT - 1):
        _fail(client, 1, email=f"guess{n % 5}@example.org", ip="10.0.0.1")  # each account under its limit too

    assert _sign_in(client, "bob@example.org", ip="10.0.0.1").status_code == 302


def test_it_counts_the_address_limit_over_the_cooloff_only(cast, client):
    for n in range(ADDRESS_LIMIT - 1):
        _fail(client, 1, email=f"guess{n}@example.org", ip="10.0.0.1")
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    _fail(client, 1, email="guess-late@example.org", ip="10.0.0.1")

    assert _sign_in(client, "bob@example.org", ip="10.0.0.1").status_code == 302


def test_it_shows_the_way_back_in_on_the_lockout_page(cast, client):
    page = _fail(client, 5).content.decode()

    alert = page.split('role="alert"')[1].split("</div>")[0]
    assert f'<a href="{reverse("accounts:password_reset")}" class="alert-link">reset your password</a>' in alert


def test_it_unlocks_after_fifteen_minutes(cast, client):
    _fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert _sign_in(client, "alice@example.org").status_code == 302


def test_it_refuses_a_deactivated_person(cast, client):
    services.member_set_active(actor=cast.dana, membership=cast.alice.membership, active=False)
    response = _sign_in(client, "alice@example.org")
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "192.0.2.1"),  # no proxy trusted: the header is the client's claim, ignored
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the entry our proxy wrote, not the spoofed one
        (2, "203.0.113.7, 10.1.1.1", "203.0.113.7"),
        (1, "", "192.0.2.1"),
    ],
)
def test_it_takes_the_client_address_from_trusted_proxies_only(settings, proxies, forwarded, expected):
    settings.AXES_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post("/login/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def _request_reset(client, mailoutbox, email="alice@example.org") -> str:
    response = client.post(reverse("accounts:password_reset"), {"email": email}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    return RESET_LINK.search(mailoutbox[-1].body).group(1)


def test_it_resets_a_password_by_email(cast, client, mailoutbox):
    link = _request_reset(client, mailoutbox, email="ALICE@example.org")
    [message] = mailoutbox
    assert message.to == ["alice@example.org"] and message.subject == "Reset your Cadence password"

    form_page = client.get(link, follow=True)  # Django swaps the token for a session-bound URL
    assert "Choose a new password" in form_page.content.decode()
    new = "another-long-Cadence-passphrase-7"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True)

    assert "Your password is changed" in done.content.decode()
    assert _sign_in(client, "alice@example.org", new).status_code == 302
    assert client.get(link, follow=True).context["validlink"] is False  # used once


def test_it_sends_nothing_for_an_unknown_or_deactivated_address(cast, client, mailoutbox):
    cast.bob.is_active = False
    cast.bob.save()
    for email in ("nobody@example.org", "bob@example.org"):
        response = client.post(reverse("accounts:password_reset"), {"email": email}, follow=True)
        assert "Check your e-mail" in response.content.decode()  # says the same either way
    assert mailoutbox == []


def test_it_lifts_the_lockout_when_the_password_is_reset(cast, client, mailoutbox):
    _fail(client, 5)
    link = _request_reset(client, mailoutbox)
    form_page = client.get(link, follow=True)
    new = "another-long-Cadence-passphrase-7"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    assert _sign_in(client, "alice@example.org", new).status_code == 302
