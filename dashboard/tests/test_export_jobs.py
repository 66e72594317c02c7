"""Exports always end: a database error is retried with backoff, a job that cannot finish fails with a reason."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from config.jobs import MAX_STARTS, backoff
from dashboard import services
from dashboard.models import DataExport
from dashboard.tasks import build_export
from testing.fixtures import hold_job_lock

Status = DataExport.Status


@pytest.fixture
def lock_timeout(transactional_db):
    """Waiting for a row or table lock longer than this raises OperationalError, as a database in trouble does."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def _rollback(session) -> None:
    with session.cursor() as cursor:
        cursor.execute("ROLLBACK")


@pytest.fixture
def as_a_worker():
    """Run tasks eagerly, but let Celery handle their retries and errors as a worker does instead of raising them."""
    from config.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_it_retries_an_export_after_a_database_error(cast, other_session, lock_timeout, as_a_worker):
    export = DataExport.objects.create(district=cast.district, requested_by=cast.dana)
    with other_session.cursor() as cursor:  # another session holds the export's row for half a second
        cursor.execute("BEGIN; SELECT 1 FROM dashboard_dataexport WHERE id = %s FOR UPDATE", [export.pk])
    threading.Timer(0.5, _rollback, [other_session]).start()

    result = build_export.apply(args=[export.pk])  # eager: each retry runs at once, without its countdown

    export.refresh_from_db()
    assert result.state == "SUCCESS"
    assert export.status == Status.READY and export.attempts == 1  # the failed starts rolled back with the error


@pytest.mark.django_db
def test_it_fails_an_export_interrupted_at_every_start_with_a_reason(cast):
    """Its worker was killed at each of MAX_STARTS starts (out of memory, say): no start more."""
    export = DataExport.objects.create(district=cast.district, requested_by=cast.dana, attempts=MAX_STARTS)

    build_export.apply(args=[export.pk])

    export.refresh_from_db()
    assert (export.status, export.attempts, export.content) == (Status.FAILED, MAX_STARTS, None)
    assert export.error == f"The export was interrupted {MAX_STARTS} times. Ask again."


@pytest.mark.django_db
def test_it_fails_an_export_pending_past_the_deadline_unless_a_worker_holds_it(cast, settings, other_session):
    settings.JOB_DEADLINE_SECONDS = 30 * 60
    long_ago = timezone.now() - datetime.timedelta(minutes=31)
    lost, building, ready = (
        DataExport.objects.create(district=cast.district, created_at=long_ago, status=status)
        for status in (Status.PENDING, Status.PENDING, Status.READY)
    )
    recent = DataExport.objects.create(district=cast.district)
    hold_job_lock(other_session, "data_export", building.pk)

    assert services.exports_sweep() == 1

    statuses = {e.pk: (e.status, e.error) for e in DataExport.objects.all()}
    assert statuses[lost.pk] == (Status.FAILED, "The export was not ready within 30 minutes. Ask again.")
    assert statuses[building.pk][0] == statuses[recent.pk][0] == Status.PENDING
    assert statuses[ready.pk][0] == Status.READY


def test_it_backs_off_exponentially_up_to_two_minutes():
    waits = [backoff(retries) for retries in range(8)]

    assert all(0.8 * 2 ** (n + 1) <= waits[n] <= 2 ** (n + 1) for n in range(6))  # 2, 4, 8 … s, less 0–20 %
    assert 96 <= waits[7] <= 120
