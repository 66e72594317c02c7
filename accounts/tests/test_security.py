"""Security properties that hold for the whole site, whatever page is added later."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import NoStoreMiddleware
from accounts.tests.test_permission_matrix import ACTORS, MATRIX, OK, PUBLIC

pytestmark = pytest.mark.django_db


def test_it_passes_the_deploy_check_with_production_settings():
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "cadence.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_in_production_without_a_secret_key():
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"} | {"DEBUG": "false"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable." in result.stderr


def test_it_refuses_a_malformed_setting():
    env = {**os.environ, "DEBUG": "maybe"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert "DEBUG must be true or false, not 'maybe'." in result.stderr


def test_it_sends_a_strict_content_security_policy_and_security_headers(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_it_keeps_templates_free_of_inline_script_and_style():
    """The CSP forbids inline script and style attributes: a template that uses them would break."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        if inline_script.search(text := path.read_text()) or re.search(r"\sstyle=|\son[a-z]+=", text)
    ]
    assert offenders == []


def test_it_checks_csrf_on_posts(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    response = client.post(reverse("coaching:challenge_new", kwargs={"teacher_id": cast.teacher.pk}), {"problems": "x"})
    assert response.status_code == 403


def test_it_keeps_the_django_admin_for_superusers(client, cast, django_user_model):
    cast.dana.is_staff = True
    cast.dana.save()
    client.force_login(cast.dana)
    assert client.get("/admin/").status_code == 302
    root = django_user_model.objects.create_superuser("root@example.org", "password")
    client.force_login(root)
    assert client.get("/admin/").status_code == 200


def test_it_expires_idle_sessions():
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_COOKIE_AGE <= 12 * 60 * 60


def test_it_keeps_confidential_records_out_of_the_django_admin():
    from django.contrib import admin

    from coaching import models

    confidential = {models.Challenge, models.Cycle, models.Step, models.Reflection, models.ITURating}
    confidential |= {models.ITUScore, models.Activity, models.ImpactStory, models.StrategyCandidate}
    assert confidential.isdisjoint(admin.site._registry)


# --- no page is kept by a browser or a proxy -----------------------------------------------------


@pytest.fixture
def world(cast):
    return SimpleNamespace(**vars(cast), now=timezone.now())


def _directives(response) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",")}


def _reader(rule) -> str:
    """Someone the row lets in, so the page checked is the one with the data on it."""
    return next((actor for actor in ACTORS[1:] if getattr(rule, actor) == OK), "alice")


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_it_keeps_every_page_out_of_browser_and_proxy_caches(client, world, name):
    """A shared school computer's browser must not show a teacher's notes after sign-out; nor a proxy."""
    rule, _, kwargs = MATRIX[name]
    url = reverse(name.split("#")[0], kwargs=kwargs(world) if kwargs else None)
    for actor in ("anonymous", _reader(rule)):
        client.logout()
        if actor != "anonymous":
            client.force_login(getattr(world, actor))
        response = client.get(url)
        assert {"no-store", "private"} <= _directives(response), (actor, response.status_code)


def test_it_keeps_the_lockout_and_error_pages_out_of_caches(cast, client):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "alice@example.org", "password": "wrong"})
    assert response.status_code == 429 and "no-store" in _directives(response)
    assert "no-store" in _directives(client.get("/no-such-page/"))


def test_it_keeps_a_stricter_header_a_view_set(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root@example.org", "password"))
    response = client.get(reverse("admin:index"))  # Django's never_cache
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_it_replaces_a_laxer_header_a_view_set():
    def cacheable(request):
        response = HttpResponse("notes")
        response["Cache-Control"] = "public, max-age=600"
        return response

    response = NoStoreMiddleware(cacheable)(RequestFactory().get("/"))
    assert response["Cache-Control"] == "no-store, private"


def test_it_lets_static_files_be_cached(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic, as in development
    response = Client().get(settings.STATIC_URL + "css/cadence.css")  # a new client loads the middleware anew
    assert response.status_code == 200
    assert "no-store" not in _directives(response) and "max-age" in _directives(response)


# --- nobody is switched to another account unasked ------------------------------------------------

PASSWORD = "a-long-Cadence-passphrase-42"
# Every field of every public form, filled in validly: each page gets the best chance to sign someone in.
EVERY_PUBLIC_FORM = {
    "username": "alice@example.org", "password": "password", "email": "alice@example.org", "full_name": "Nina New",
    "password1": PASSWORD, "password2": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(name for name, (rule, _, _) in MATRIX.items() if rule == PUBLIC))
def test_it_never_switches_a_signed_in_person_to_another_account(client, world, name):
    """Someone signed in who opens a public page (an invitation, sign-in, a reset link) stays who they are."""
    _, _, kwargs = MATRIX[name]
    url = reverse(name.split("#")[0], kwargs=kwargs(world) if kwargs else None)
    client.force_login(world.bob)

    client.get(url, follow=True)
    client.post(url, EVERY_PUBLIC_FORM, follow=True)

    assert client.session.get("_auth_user_id") == str(world.bob.pk)


def test_it_logs_an_expected_403_once_and_without_a_traceback(client, cast, settings, capsys):
    """A refused page is Cadence answering as designed, not a fault: one line in the server's log."""
    from django.utils.log import configure_logging

    settings.DEBUG = True  # as `make run` serves: Django's own console handler is live then
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    try:
        client.force_login(cast.alice)
        assert client.get(reverse("dashboard:district")).status_code == 403
        logged = capsys.readouterr().err
    finally:
        settings.DEBUG = False
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)

    assert logged.count("Forbidden (Permission denied): /dashboard/district/") == 1
    assert "Traceback" not in logged
