"""The district admin's single sign-on settings, and the sign-in page's buttons."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from districts import services
from districts.models import SignInProvider
from districts.signin import DistrictSignIn

pytestmark = pytest.mark.django_db

SECRET = "GOCSPX-very-secret-value-7f3a"


def _save(cast, **changes):
    fields = {
        "kind": "google", "enabled": True, "client_id": "123.apps.googleusercontent.com", "secret": SECRET,
        "allowed_domains": ["riverside.k12.ca.us"],
    }  # fmt: skip
    return services.sign_in_provider_save(actor=cast.dana, **{**fields, **changes})


def test_it_turns_google_on_for_the_district_and_keeps_the_secret_when_left_empty(cast):
    _save(cast)
    provider = _save(cast, secret="", allowed_domains=["riverside.k12.ca.us", "staff.riverside.org"])

    assert SignInProvider.objects.get() == provider
    assert provider.secret == SECRET and provider.district == cast.district
    assert provider.allowed_domains == ["riverside.k12.ca.us", "staff.riverside.org"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "oidc", "server_url": "not a url"}, "server_url"),
        ({"kind": "microsoft", "tenant": "common"}, "tenant"),
        ({"kind": "microsoft", "tenant": ""}, "tenant"),
        ({"allowed_domains": []}, "allowed_domains"),
    ],
)
def test_it_refuses_incomplete_settings(cast, changes, field):
    with pytest.raises(ValidationError) as refused:
        _save(cast, **changes)
    assert field in refused.value.message_dict


def test_it_refuses_a_first_save_without_a_secret_and_anyone_but_the_admin(cast):
    with pytest.raises(ValidationError, match="client secret"):
        _save(cast, secret="")
    with pytest.raises(ValidationError, match="Only a district admin"):
        services.sign_in_provider_save(
            actor=cast.alice, kind="google", enabled=False, client_id="x", secret="y", allowed_domains=[]
        )


def test_it_reads_the_domains_an_admin_types():
    assert services.parse_domains(" Riverside.K12.ca.us, @staff.riverside.org\nriverside.k12.ca.us ") == [
        "riverside.k12.ca.us",
        "staff.riverside.org",
    ]
    with pytest.raises(ValidationError, match="gmail is not an e-mail domain"):
        services.parse_domains("gmail")


def test_it_never_shows_the_secret_back(client, cast):
    _save(cast)
    client.force_login(cast.dana)

    listing = client.get(reverse("district:sign_in")).content.decode()
    edit = client.get(reverse("district:sign_in_edit", kwargs={"kind": "google"})).content.decode()

    assert "123.apps.googleusercontent.com" in listing and "••••7f3a" in listing
    assert SECRET not in listing and SECRET not in edit
    assert "http://testserver/sso/google/login/callback/" in edit  # the redirect URI to register


def test_it_saves_the_settings_from_the_page(client, cast):
    client.force_login(cast.dana)
    url = reverse("district:sign_in_edit", kwargs={"kind": "oidc"})

    response = client.post(url, {
        "enabled": "on", "label": "Clever", "server_url": "https://clever.com/", "client_id": "abc",
        "secret": "s3cret-s3cret", "allowed_domains": "riverside.k12.ca.us",
    })  # fmt: skip

    assert response.status_code == 302
    provider = SignInProvider.objects.get()
    assert (provider.kind, provider.server_url, provider.label) == ("oidc", "https://clever.com", "Clever")
    page = client.get(url).content.decode()
    assert "http://testserver/sso/oidc/oidc-riverside/login/callback/" in page
    bad = client.post(url, {"client_id": "abc", "allowed_domains": "not_a domain!"})
    assert bad.status_code == 200 and "not_a is not an e-mail domain" in bad.content.decode()


def test_it_offers_a_button_per_switched_on_provider_and_lets_the_page_reach_them(client, cast):
    _save(cast)
    _save(cast, kind="microsoft", tenant="0f3c-tenant", enabled=False)

    response = client.get(reverse("login"))

    html = response.content.decode()
    assert "Sign in with Google" in html and "Sign in with Microsoft" not in html
    assert "form-action 'self' https://accounts.google.com" in response["Content-Security-Policy"]


def test_it_builds_allauth_apps_only_from_the_provider_chosen_in_this_session(rf, cast):
    provider = _save(cast)
    request = rf.get("/")
    request.session = {}
    adapter = DistrictSignIn()

    assert adapter.list_apps(request) == []
    request.session["cadence_sso_provider"] = provider.pk
    [app] = adapter.list_apps(request, provider="google")
    assert (app.provider, app.client_id, app.secret) == ("google", provider.client_id, SECRET)
    assert adapter.list_apps(request, provider="microsoft") == []
    assert adapter.is_open_for_signup(request, None) is False
