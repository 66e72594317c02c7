"""Erasure leaves no copy behind (issue 7, item 5).

A teacher whose name, e-mail and notes carry a unique marker is put everywhere Cadence keeps
something: their coaching record, a built export, roster uploads (the file and a rejected import's
error rows), the Django admin's log, a step invitation still queued. After the erasure the marker
is searched for in every column of every table (zips unpacked, sessions decoded) and in the
sent-mail and media folders.
"""

import email
import email.policy
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.urls import reverse

from accounts.models import AuditEvent, RosterImport
from coaching import services as coaching
from coaching.models import Enrollment, Step, Teacher
from dashboard import services
from dashboard.models import DataExport
from dashboard.tests.helpers import full_record, story
from testing import factories as f
from testing.roster_files import oneroster, org, run_import, run_teachers_csv, user

pytestmark = pytest.mark.django_db

MARKER = "Qzvrk"  # nothing else in Cadence spells this
NAME = f"Nora {MARKER}"
EMAIL = f"nora.{MARKER.lower()}@example.org"


# --- looking everywhere ---------------------------------------------------------------------------


def _texts(value) -> list[str]:
    """What a stored value says, as text: zips unpacked, JSON dumped, bytes decoded."""
    if value is None:
        return []
    if isinstance(value, memoryview | bytes | bytearray):
        data = bytes(value)
        texts = [data.decode("utf-8", errors="replace")]
        if data.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                texts += [text for name in archive.namelist() for text in _texts(archive.read(name))]
        return texts
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False)]
    return [str(value)]


def _columns():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.AutoField | models.ForeignKey | models.BooleanField):
                yield model, field


def tables_mentioning(marker: str) -> list[str]:
    """model.field of every stored value (of every model, every column) that contains `marker`."""
    found = set()
    for model, field in _columns():
        for value in model._default_manager.values_list(field.name, flat=True):
            if any(marker.casefold() in text.casefold() for text in _texts(value)):
                found.add(f"{model._meta.label}.{field.name}")
    for session in Session.objects.all():  # signed and encoded: decode it
        if marker in json.dumps(session.get_decoded()):
            found.add("sessions.Session (decoded)")
    return sorted(found)


def files_mentioning(folder: Path, marker: str) -> list[str]:
    """Files under `folder` whose bytes, or whose e-mail headers and decoded parts, contain `marker`."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []:
        raw = path.read_bytes()
        texts = _texts(raw)
        for chunk in raw.split(b"-" * 79 + b"\n"):  # the file-based mail backend's separator
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            texts += [str(value) for value in message.values()]
            texts += [_texts(part.get_payload(decode=True))[0] for part in message.walk() if not part.is_multipart()]
        if any(marker.casefold() in text.casefold() for text in texts):
            found.append(str(path))
    return found


# --- the teacher, everywhere ---------------------------------------------------------------------------


@pytest.fixture
def nora(cast, settings, tmp_path, django_capture_on_commit_callbacks):
    """Nora, marked, in every kind of stored artefact; returns (teacher, the step invitations still queued)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "sent-mail")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The roster: her upload is imported; an earlier upload was rejected and its error row names her.
    rejected = run_teachers_csv(cast.district, [f"Lincoln Middle School,{NAME},{EMAIL}"] * 2)
    assert rejected.status == RosterImport.Status.FAILED and MARKER.lower() in json.dumps(rejected.errors)
    imported = run_teachers_csv(cast.district, [f"{cast.school.name},{NAME},{EMAIL},Art,middle"])
    assert imported.status == RosterImport.Status.SUCCEEDED
    teacher = Teacher.objects.get(name=NAME)
    # Her whole record, with marked notes, on alice's caseload and (an earlier year) on bob's.
    enrollment = f.EnrollmentFactory(program=cast.program, coach=cast.alice, teacher=teacher)
    full_record(enrollment, strategy=cast.strategy, tool=cast.tool, note=f"{MARKER} asked for help with stations")
    coaching.activity_log(actor=cast.alice, kind="touchpoint", enrollment=enrollment, channel="email", notes=MARKER)
    story(f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=teacher, ends_on=f.day()), MARKER)
    # An export built before the erasure holds all of it.
    with django_capture_on_commit_callbacks(execute=True):
        services.export_request(actor=cast.dana, district=cast.district)
    assert MARKER in "".join(_texts(DataExport.objects.get().content))
    # The operator once fixed her e-mail in the Django admin.
    LogEntry.objects.log_actions(
        user_id=cast.dana.pk, queryset=[teacher], action_flag=CHANGE, change_message="Changed email."
    )
    # A step scheduled with an invitation for her: queued when the step commits, sent by a worker later.
    challenge = coaching.challenge_start(enrollment=enrollment, problems=[f"{MARKER}'s second challenge"])
    with django_capture_on_commit_callbacks() as queued:
        coaching.step_log(
            challenge=challenge_ready(cast, challenge), kind=Step.Kind.PLAN_MEETING, starts_at=f.at(2), done=False,
            invite_teacher=True,
        )  # fmt: skip
    assert queued
    assert tables_mentioning(MARKER)  # the search finds what is there
    return teacher, queued


def challenge_ready(cast, challenge):
    coaching.challenge_identify(
        challenge=challenge, problems=challenge.problems, title=challenge.problems[0],
        improvement=f"{MARKER}'s persistence", category="instructional",
    )  # fmt: skip
    coaching.candidate_add(challenge=challenge, strategy=cast.strategy, source="research")
    coaching.investigation_finish(challenge=challenge)
    return coaching.challenge_select_strategy(challenge=challenge, strategy=cast.strategy, tools=[cast.tool])


def test_it_leaves_the_teacher_in_no_table_file_or_e_mail(cast, nora, settings):
    teacher, queued = nora

    services.teacher_erase(actor=cast.dana, teacher=teacher, confirmation=NAME)
    for callback in queued:  # the worker gets to the queued invitation after the erasure
        callback()

    assert tables_mentioning(MARKER) == []
    assert files_mentioning(Path(settings.EMAIL_FILE_PATH), MARKER) == []
    assert files_mentioning(Path(settings.MEDIA_ROOT), MARKER) == []


def test_it_withdraws_the_districts_exports_and_says_so(cast, nora, client):
    teacher, _ = nora
    other_district = DataExport.objects.create(district=cast.oscar.membership.district, status="ready", content=b"PK")
    client.force_login(cast.dana)
    url = reverse("dashboard:erase", kwargs={"teacher_id": teacher.pk})
    assert "Every export of the district built so far is withdrawn" in " ".join(
        client.get(url).content.decode().split()
    )

    response = client.post(url, {"confirmation": NAME}, follow=True)

    export = DataExport.objects.get(district=cast.district)
    assert (export.status, export.content) == (DataExport.Status.WITHDRAWN, None)
    page = " ".join(response.content.decode().split())
    assert "Withdrawn" in page and "request a new export" in page
    assert client.get(reverse("dashboard:export_download", args=[export.pk])).status_code == 404
    other_district.refresh_from_db()
    assert other_district.status == DataExport.Status.READY  # another district's export is theirs


def test_it_keeps_an_export_being_built_during_the_erasure_from_holding_the_teacher(cast, nora):
    teacher, _ = nora
    pending = DataExport.objects.create(district=cast.district, requested_by=cast.dana)
    content = services.export_archive(district=cast.district)  # a worker read the district before the erasure

    services.teacher_erase(actor=cast.dana, teacher=teacher, confirmation=NAME)
    services.export_save(export=pending, content=content)  # … and finishes after it

    pending.refresh_from_db()
    assert (pending.status, pending.content) == (DataExport.Status.WITHDRAWN, None)


def test_it_scrubs_roster_uploads_and_keeps_other_rows_of_their_errors(cast, nora):
    teacher, _ = nora
    other = run_teachers_csv(cast.district, ["Lincoln Middle School,Ann Other,not-an-email"])

    services.teacher_erase(actor=cast.dana, teacher=teacher, confirmation=NAME)

    other.refresh_from_db()
    assert other.errors == [
        {"file": "teachers.csv", "row": 2, "message": "“not-an-email” is not a valid e-mail address."}
    ]
    rejected = RosterImport.objects.filter(status=RosterImport.Status.FAILED).exclude(pk=other.pk).get()
    assert rejected.errors == [{"file": "teachers.csv", "row": 3, "message": services.ERASED_ROW}]
    assert all(bytes(done.payload) == b"" for done in RosterImport.objects.all())


def test_it_drops_a_roster_upload_as_soon_as_it_is_imported(cast):
    done = run_teachers_csv(cast.district, [f"{cast.school.name},Ann Other,ann@example.org"])
    rejected = run_teachers_csv(cast.district, ["Lincoln Middle School,Ann Other,not-an-email"])

    assert bytes(done.payload) == bytes(rejected.payload) == b""
    assert RosterImport.objects.filter(payload=b"").count() == 2


def test_it_records_the_erasure_in_the_audit_log_without_the_name(cast, nora):
    teacher, _ = nora
    teacher_id = teacher.pk

    services.teacher_erase(actor=cast.dana, teacher=teacher, confirmation=NAME)

    event = AuditEvent.objects.get(action=AuditEvent.Action.ERASE)
    assert event.details["teacher_id"] == teacher_id and event.details["exports_withdrawn"] == 1
    assert MARKER.lower() not in (event.summary + json.dumps(event.details)).lower()
    assert not LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Teacher)).exists()
    assert not Enrollment.objects.filter(teacher_id=teacher_id).exists()


def test_it_finds_the_teacher_in_a_sent_invitation_when_there_is_one(nora, settings):
    """The search is an instrument: it sees the marker in a sent e-mail (its .ics part included)."""
    _, queued = nora
    for callback in queued:
        callback()
    [sent] = files_mentioning(Path(settings.EMAIL_FILE_PATH), MARKER)
    assert MARKER in Path(sent).read_text()


def test_it_cancels_a_sent_invitation_without_naming_the_teacher(
    cast, nora, settings, django_capture_on_commit_callbacks
):
    """An invitation already in her calendar is cancelled after the erasure: the CANCEL reaches her address
    (calendars must hear), and says nothing else of her; then its calendar event is gone."""
    teacher, queued = nora
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for callback in queued:  # the invitation went out before the erasure
        callback()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.teacher_erase(actor=cast.dana, teacher=teacher, confirmation=NAME)

    [cancel] = mail.outbox
    assert cancel.recipients() == ["alice@example.org", EMAIL] and cancel.subject.startswith("Cancelled: ")
    everything = cancel.message().as_string() + "".join(_texts(part[1])[0] for part in cancel.attachments)
    assert MARKER.lower() not in everything.lower().replace(EMAIL, "")
    assert tables_mentioning(MARKER) == []


def test_it_takes_a_teacher_who_left_out_of_the_imports_that_named_them(cast):
    """A roster import names the teachers it says have gone (in its results): erasing one of them takes the
    name out of every such result, and leaves the others named."""
    schools = [org("sch-1", "Lincoln Middle School")]
    users = [user("t-nora", "Nora", MARKER, email=EMAIL), user("t-ben", "Ben", "Cho")]
    run_import(cast.district, oneroster(schools, users))
    gone = run_import(cast.district, oneroster(schools, [user("t-other", "Ann", "Other")]))
    assert {leaver["name"] for leaver in gone.counts["left"]} == {NAME, "Ben Cho"}

    services.teacher_erase(actor=cast.dana, teacher=Teacher.objects.get(sourced_id="t-nora"), confirmation=NAME)

    gone.refresh_from_db()
    assert {leaver["name"] for leaver in gone.counts["left"]} == {services.ERASED, "Ben Cho"}
    assert tables_mentioning(MARKER) == []
