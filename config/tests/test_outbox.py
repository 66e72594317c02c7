"""The transactional outbox: a task exists exactly when its write commits, and reaches the broker once."""

import socket
import threading
import time
import uuid

import pytest
import redis
from django.db import connections, transaction
from django.urls import reverse

from config.celery import app, enqueue, relay, relay_due, relayer
from config.models import OutboxMessage
from testing.fixtures import UNREACHABLE_BROKER, broker_at

TASK = "config.tasks.heartbeat"  # harmless to run, and it takes no arguments


@pytest.fixture
def real_broker(transactional_db, settings):
    """Tasks go through Redis to a queue of this test's own that no worker reads; yields a way to count them."""
    if not settings.REDIS_URL:
        pytest.fail("The outbox tests need Redis: set REDIS_URL (`make test` does).")
    queue = f"cadence-test-{uuid.uuid4().hex[:12]}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    yield lambda: client.llen(queue)
    app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue
    client.delete(queue)
    relayer.drain(10)


@pytest.fixture
def silent_broker():
    """A broker address that accepts connections and never answers, as a hung Redis or a dropped network does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def test_it_runs_the_task_after_the_commit_that_records_it(db, django_capture_on_commit_callbacks, settings):
    from django.core.cache import cache

    cache.delete("cadence:worker-heartbeat")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue(TASK)
        [message] = OutboxMessage.objects.all()
        assert (message.task_name, message.args) == (TASK, [])
    assert cache.get("cadence:worker-heartbeat") is None  # not before the commit

    callbacks[0]()  # the commit

    assert cache.get("cadence:worker-heartbeat") is not None  # eager: it ran in this process
    assert not OutboxMessage.objects.exists()


def test_it_forgets_the_task_of_a_write_that_rolled_back(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue(TASK)
            raise RuntimeError("the write failed")

    assert callbacks == []
    assert not OutboxMessage.objects.exists()


def test_it_refuses_a_task_name_nothing_registers(db):
    with pytest.raises(KeyError):
        enqueue("config.tasks.no_such_task", 1)


def test_it_commits_without_waiting_on_a_broker_that_hangs(real_broker, silent_broker, settings):
    # A shorter socket timeout than production's 5 s only keeps this test short: the commit waits on neither.
    app.conf.broker_transport_options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "socket_timeout": 1}
    try:
        with broker_at(silent_broker):
            started = time.monotonic()
            with transaction.atomic():
                enqueue(TASK)
            committed_in = time.monotonic() - started
            assert relayer.drain(15)  # the background relay tried, and gave up
    finally:
        app.conf.broker_transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS

    assert committed_in < 0.2
    [message] = OutboxMessage.objects.all()
    assert message.attempts == 1 and "OperationalError" in message.last_error
    assert real_broker() == 0


def test_it_sends_what_the_broker_missed_once_it_is_back(real_broker):
    with broker_at(UNREACHABLE_BROKER):
        for _ in range(3):
            enqueue(TASK)
        assert relayer.drain(10)
        assert relay_due() == 0  # the periodic relay, while the broker is still down
    assert OutboxMessage.objects.count() == 3

    assert relay_due() == 3  # the periodic relay, once the broker is back

    assert real_broker() == 3
    assert not OutboxMessage.objects.exists()


def test_it_never_sends_one_row_twice_from_two_relays(real_broker):
    OutboxMessage.objects.bulk_create(OutboxMessage(task_name=TASK) for _ in range(60))
    sent = []
    start = threading.Barrier(2)

    def run():
        start.wait()
        try:
            while count := relay(limit=5):  # small batches, so the two relays interleave
                sent.append(count)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sum(sent) == 60
    assert real_broker() == 60
    assert not OutboxMessage.objects.exists()


def test_it_shows_the_operator_what_waits_in_the_outbox(admin_client, db):
    OutboxMessage.objects.create(task_name=TASK, attempts=2, last_error="OperationalError: Connection refused")

    page = admin_client.get(reverse("admin:config_outboxmessage_changelist")).content.decode()

    assert TASK in page and "OperationalError: Connection refused" in page
