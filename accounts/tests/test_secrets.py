"""Tokens and reset links never reach a log, a task argument kept in the broker, or an error page.

An invitation link signs someone in as the invitee, and a reset link sets their password: whoever
reads a log, the broker or an error page must not be able to become them.
"""

import importlib
import inspect
import logging
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import selectors, services, tasks
from accounts.models import Role
from config.celery import enqueue, relay
from config.models import OutboxMessage
from testing.factories import project_app_configs

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"https?://[^/\s]+(/account/password-reset/[^\s]+/)")
INVITATION_LINK = re.compile(r"https?://[^/\s]+(/account/invitations/[\w-]+/)")


@pytest.fixture
def unreachable_broker():
    """Point the Celery app at a port nobody listens on, as when Redis is down (as in coaching's test_worker)."""
    from config.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = "redis://127.0.0.1:1/0", False
    app._pool, app.amqp._producer_pool = None, None  # connection pools remember the old URL
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool, app.amqp._producer_pool = None, None


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record) + repr(record.args))


@pytest.fixture
def logged(caplog):
    """Everything logged so far, by every logger at every level, with arguments and tracebacks: as the
    root's handlers write it, and as Django's own handlers get it (those on the "django" logger, such as
    the AdminEmailHandler that mails a 500's path to ADMINS)."""
    caplog.set_level(logging.DEBUG)
    django_logger, collect = logging.getLogger("django"), _Collect()
    django_logger.addHandler(collect)
    yield lambda: caplog.text + "".join(repr(record.args) for record in caplog.records) + "".join(collect.lines)
    django_logger.removeHandler(collect)


def _opens_an_invitation(text: str) -> list[str]:
    """Whatever in `text` works as an invitation link's token."""
    return [word for word in set(re.findall(r"[\w-]{20,}", text)) if selectors.invitation_for_token(word)]


def _invite(cast, email="new.coach@example.org"):
    return services.invitation_create(
        actor=cast.dana, district=cast.district, email=email, full_name="New Coach", role=Role.COACH,
        site_url="http://testserver/",
    )  # fmt: skip


def test_it_logs_no_token_when_the_broker_is_down(cast, unreachable_broker, logged):
    invitation = _invite(cast)

    assert relay() == 0  # the relay after commit (or beat's) finds the broker down: the task stays in the outbox
    assert "The broker is unreachable" in logged()
    assert _opens_an_invitation(logged()) == []
    assert services.invitation_token(invitation) not in logged()


def test_it_queues_the_invitation_by_its_id_alone(cast):
    invitation = _invite(cast)  # not committed: its task waits in the outbox

    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [
        ("accounts.tasks.send_invitation", [invitation.pk])
    ]


def test_it_refuses_to_queue_anything_but_ids(logged):
    """A secret passed by mistake never reaches the outbox table, the broker or a log: the write fails instead."""
    with pytest.raises(TypeError, match="Queue ids only"):
        enqueue("accounts.tasks.send_invitation", 7, "a-secret-passed-by-mistake")

    assert not OutboxMessage.objects.exists()
    assert "a-secret-passed-by-mistake" not in logged()


def test_it_gives_every_task_ids_only(settings):
    """What a task takes sits in the broker and in the worker's logs: ids, never a token or an address."""
    from config.celery import app

    for config in project_app_configs():
        if Path(config.path, "tasks.py").exists():
            importlib.import_module(f"{config.name}.tasks")
    ours = [task for name, task in app.tasks.items() if not name.startswith("celery.")]
    assert {task.name for task in ours} >= {"accounts.tasks.send_invitation", "coaching.tasks.send_calendar_event"}
    for task in ours:
        parameters = inspect.signature(task.run).parameters.values()
        assert all(parameter.annotation is int for parameter in parameters), task.name


def test_it_rebuilds_the_link_in_the_worker_from_the_id(cast, mailoutbox):
    invitation = _invite(cast)  # the e-mail waits for a commit that the test never makes

    tasks.send_invitation(invitation.pk)

    [message] = mailoutbox
    token = INVITATION_LINK.search(message.body).group(1).rstrip("/").rsplit("/", 1)[1]
    assert selectors.invitation_for_token(token) == invitation
    assert invitation.token_hash == services.token_hash(token)


def test_it_needs_the_secret_key_as_well_as_the_database_to_make_a_link(cast, settings):
    invitation = _invite(cast)
    token = services.invitation_token(invitation)

    assert token not in (invitation.token_nonce, invitation.token_hash)
    settings.SECRET_KEY = "what a thief holding only a copy of the database would have to guess"
    assert services.invitation_token(invitation) != token


def test_it_logs_no_reset_link(cast, client, logged, mailoutbox):
    client.post(reverse("accounts:password_reset"), {"email": "alice@example.org"})
    link = RESET_LINK.search(mailoutbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    new = "another-long-Cadence-passphrase-7"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    client.get(link)  # used up now

    assert mailoutbox and link.split("/")[-2] not in logged()


def _crash(monkeypatch, target, name):
    def boom(*args, **kwargs):
        raise RuntimeError("Something broke while the link was being opened.")

    monkeypatch.setattr(target, name, boom)


def test_it_keeps_an_invitation_token_out_of_the_error_page_and_its_log(
    cast, logged, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cast)
    path = INVITATION_LINK.search(mailoutbox[-1].body).group(1)
    token = path.rstrip("/").rsplit("/", 1)[1]
    _crash(monkeypatch, services, "invitation_problem")

    response = Client(raise_request_exception=False).get(path)

    assert response.status_code == 500 and "Something went wrong" in response.content.decode()
    assert token not in response.content.decode()
    assert "Internal Server Error" in logged() and token not in logged()


def test_it_keeps_a_reset_token_out_of_the_error_page_and_its_log(cast, client, logged, monkeypatch, mailoutbox):
    from accounts import views

    client.post(reverse("accounts:password_reset"), {"email": "alice@example.org"})
    link = RESET_LINK.search(mailoutbox[-1].body).group(1)
    token = link.split("/")[-2]
    _crash(monkeypatch, views.PasswordResetConfirmView, "dispatch")

    response = Client(raise_request_exception=False).get(link)

    assert response.status_code == 500 and token not in response.content.decode()
    assert "Internal Server Error" in logged() and token not in logged()


def test_it_keeps_dead_invitation_tokens_out_of_the_log_too(cast, logged, client):
    """A 404 or 410 is logged with its path; an old link may be one character away from a live one."""
    for token in ("not-a-real-token-but-could-be-a-typo", "a" * 64):
        response = client.get(reverse("accounts:accept", kwargs={"token": token}))
        assert response.status_code == 404
        assert "Not Found" in logged() and token not in logged()


def _token_urls(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _token_urls(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and "token" in pattern.pattern.converters:
            yield f"{prefix}{pattern.name}", pattern.pattern.converters


def test_it_redacts_the_token_of_every_url_that_carries_one():
    """A URL added later with a <token> in it is redacted from logs too, or this test says so."""
    from config.log_filters import redact

    found = dict(_token_urls(get_resolver().url_patterns))
    assert {"accounts:accept", "accounts:password_reset_confirm"} <= set(found)
    for name, converters in found.items():
        token = "c6x2k1-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
        kwargs = {param: ("MQ" if param == "uidb64" else 1) for param in converters} | {"token": token}
        path = reverse(name, kwargs=kwargs)
        assert token not in redact(f"Internal Server Error: {path}"), name
