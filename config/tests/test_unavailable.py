"""A lost database is a 503 page that needs no database; /healthz says what is up for a load balancer."""

import contextlib
import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from config import health
from config.middleware import RETRY_AFTER_SECONDS
from testing.fixtures import UNREACHABLE_BROKER, broker_at


@contextlib.contextmanager
def database_down():
    """PostgreSQL stops answering: the connection is lost and nothing listens where it was."""
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


@pytest.fixture
def browser(transactional_db):
    """A client that answers with the error page, as a browser sees it, rather than raising the error."""
    return Client(raise_request_exception=False)


def _assert_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "Cadence is briefly unavailable" in page and "Nothing you saved has been lost" in page


def test_it_answers_503_when_a_view_loses_the_database(browser):
    with database_down():
        response = browser.get(reverse("login"))  # anonymous: the first query is the view's

    _assert_unavailable(response)


def test_it_answers_503_when_a_middleware_loses_the_database(browser, cast):
    browser.force_login(cast.alice)
    with database_down():
        response = browser.get(reverse("coaching:caseload"))  # the session and membership load first

    _assert_unavailable(response)


def test_it_answers_503_to_a_write_and_keeps_nothing_half_saved(browser, cast):
    from coaching.models import Activity

    browser.force_login(cast.alice)
    url = reverse("coaching:activity_new", kwargs={"kind": "pln"})
    with database_down():
        response = browser.post(url, {"held_on": "2026-09-01", "minutes": 30, "notes": "Shared a protocol"})

    _assert_unavailable(response)
    assert not Activity.objects.exists()
    assert browser.get(url, follow=True).status_code == 200  # and it recovers as soon as the database is back


def test_it_answers_503_when_the_session_cannot_be_saved_on_the_way_out(browser, cast, settings):
    settings.ROOT_URLCONF = "config.tests.outage_urls"
    browser.force_login(cast.alice)
    saved = connection.settings_dict["PORT"]
    try:
        response = browser.get("/outage/")  # Django's SessionInterrupted: a 400 "Bad Request" without the handler
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved

    _assert_unavailable(response)


def test_it_reports_every_dependency_to_a_load_balancer(browser):
    health.worker_beat()

    response = browser.get(reverse("healthz"))

    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    report = json.loads(response.content)
    assert report["status"] == "ok"
    assert {name: check["ok"] for name, check in report["checks"].items()} == {
        "database": True, "cache": True, "broker": True, "worker": True
    }  # fmt: skip
    assert report["checks"]["worker"]["last_seen_seconds"] < 5
    assert report["checks"]["database"]["outbox"] == {"waiting": 0, "oldest_seconds": 0}


def test_it_stays_in_service_while_only_the_broker_is_down(browser):
    health.worker_beat()
    with broker_at(UNREACHABLE_BROKER):
        response = browser.get(reverse("healthz"))

    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["status"] == "degraded"
    assert report["checks"]["broker"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": report["checks"]["broker"]["ms"],
    }


def test_it_takes_itself_out_of_service_while_the_database_is_down(browser):
    with database_down():
        response = browser.get(reverse("healthz"))

    assert response.status_code == 503
    report = json.loads(response.content)
    assert report["status"] == "down"
    assert report["checks"]["database"]["ok"] is False
    assert "127.0.0.1" not in response.content.decode()  # a driver's message names hosts: never shown


def test_it_says_when_no_worker_has_been_seen(browser):
    from django.core.cache import cache

    cache.delete(health.HEARTBEAT_KEY)

    report = json.loads(browser.get(reverse("healthz")).content)

    assert report["status"] == "degraded"
    assert report["checks"]["worker"]["error"] == "no worker heartbeat yet"
