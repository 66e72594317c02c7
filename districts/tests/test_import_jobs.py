"""Roster imports always end: retried, delivered again after a killed worker, or failed with a reason."""

import datetime
import os
import signal
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import RosterImport
from coaching.models import Teacher
from config.jobs import MAX_STARTS
from districts.roster import services as roster
from testing.fixtures import hold_job_lock, worker_children
from testing.roster_files import TEACHERS_HEADER, csv_file, make_zip

Status = RosterImport.Status


def _teachers_csv(count: int) -> bytes:
    rows = [f"Lincoln Middle School,Teacher {i},t{i}@example.org,Math,middle" for i in range(count)]
    return make_zip(teachers=csv_file(TEACHERS_HEADER, rows))


def _import(cast, *, minutes_ago: int = 0, **fields) -> RosterImport:
    created_at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return RosterImport.objects.create(
        district=cast.district, uploaded_by=cast.dana, kind=RosterImport.Kind.TEACHERS_CSV, filename="teachers.csv",
        payload=_teachers_csv(3), created_at=created_at, **fields,
    )  # fmt: skip


@pytest.mark.django_db
def test_it_fails_imports_left_unfinished_past_the_deadline_with_a_reason(cast, settings, client):
    settings.JOB_DEADLINE_SECONDS = 30 * 60
    waiting = _import(cast, minutes_ago=31)
    stuck = _import(cast, minutes_ago=31, status=Status.RUNNING, attempts=1)
    recent = _import(cast, minutes_ago=29, status=Status.RUNNING)

    assert roster.imports_sweep() == 2

    for roster_import in (waiting, stuck, recent):
        roster_import.refresh_from_db()
    assert (waiting.status, waiting.interrupted, stuck.status, recent.status) == (
        Status.FAILED, True, Status.FAILED, Status.RUNNING
    )  # fmt: skip
    assert waiting.errors[0]["message"] == (
        "The import never started (no worker took it) within 30 minutes and saved nothing. Run it again."
    )
    assert stuck.errors[0]["message"].startswith("The import did not finish within 30 minutes")
    client.force_login(cast.dana)
    page = client.get(reverse("rosters:detail", kwargs={"import_id": stuck.pk})).content.decode()
    assert "did not finish within 30 minutes" in page and "Run this import again" in page


@pytest.mark.django_db
def test_it_leaves_an_import_to_the_worker_running_it(cast, other_session):
    roster_import = _import(cast, minutes_ago=60, status=Status.RUNNING, attempts=1)
    hold_job_lock(other_session, "roster_import", roster_import.pk)  # a worker is on it right now

    assert roster.imports_sweep() == 0
    assert roster.import_execute(import_id=roster_import.pk) is None  # a duplicate delivery leaves it alone

    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.attempts) == (Status.RUNNING, 1)


@pytest.mark.django_db
def test_it_fails_an_import_whose_worker_was_killed_at_every_start(cast):
    roster_import = _import(cast, status=Status.RUNNING, attempts=MAX_STARTS)

    roster.import_execute(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.interrupted) == (Status.FAILED, True)
    assert roster_import.errors[0]["message"].startswith(f"The import was interrupted {MAX_STARTS} times")
    assert not Teacher.objects.filter(name__startswith="Teacher ").exists()


@pytest.mark.django_db
def test_it_runs_an_interrupted_import_again(cast, client, django_capture_on_commit_callbacks):
    failed = _import(cast, minutes_ago=60)
    roster.imports_sweep()
    client.force_login(cast.dana)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rosters:retry", kwargs={"import_id": failed.pk}))

    again = RosterImport.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == reverse("rosters:detail", kwargs={"import_id": again.pk})
    assert bytes(RosterImport.objects.get(pk=failed.pk).payload) == b""  # one copy of the file, not two
    assert (again.status, again.counts["teachers_created"], again.uploaded_by) == (Status.SUCCEEDED, 3, cast.dana)
    assert Teacher.objects.filter(name__startswith="Teacher ").count() == 3


@pytest.mark.django_db
def test_it_asks_for_the_files_again_when_an_erasure_emptied_the_upload(cast, client):
    failed = _import(cast, minutes_ago=60)
    roster.imports_sweep()
    RosterImport.objects.filter(pk=failed.pk).update(payload=b"")  # as teacher_erase does to finished imports
    client.force_login(cast.dana)

    response = client.post(reverse("rosters:retry", kwargs={"import_id": failed.pk}), follow=True)

    assert "This upload was deleted since (a teacher was erased): upload the files again." in response.content.decode()
    assert RosterImport.objects.count() == 1


@pytest.mark.django_db
def test_it_does_not_run_again_an_import_rejected_for_its_files(cast, client):
    rejected = _import(cast, status=Status.FAILED, counts={"problems": 2})
    client.force_login(cast.dana)

    response = client.post(reverse("rosters:retry", kwargs={"import_id": rejected.pk}), follow=True)

    assert "Only an interrupted import can run again." in response.content.decode()
    assert RosterImport.objects.count() == 1


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    pytest.fail(f"Waited {seconds} s for {what}.")


def test_it_delivers_an_import_again_when_its_worker_process_is_killed(cast, celery_prefork_worker):
    roster_import = roster.import_create(
        district=cast.district,
        actor=cast.dana,
        upload=roster.Upload(RosterImport.Kind.TEACHERS_CSV, "teachers.csv", _teachers_csv(10_000)),
    )  # committed at once (no transaction around it here): the outbox relays it to the worker

    _wait_for(lambda: RosterImport.objects.filter(pk=roster_import.pk, status=Status.RUNNING).exists(), 30, "RUNNING")
    [child] = worker_children(celery_prefork_worker.process)
    os.kill(child, signal.SIGKILL)  # as the out-of-memory killer would, mid-import

    _wait_for(lambda: RosterImport.objects.filter(pk=roster_import.pk, finished_at__isnull=False).exists(), 60, "end")
    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.attempts) == (Status.SUCCEEDED, 2), roster_import.errors
    assert roster_import.counts["teachers_created"] == 10_000
    assert Teacher.objects.filter(name__startswith="Teacher ").count() == 10_000  # the killed run wrote nothing
    assert "WorkerLostError" in celery_prefork_worker.log.read_text()
