"""Roster import: a OneRoster 1.1 or 1.2 CSV roster (or Microsoft School Data Sync v2 files), or a
simple teachers.csv, imported all-or-nothing.

An import runs in two phases, so that it can be all-or-nothing *and* honest about its progress:

1. Check (districts.roster.checks): read every file and every row, collecting every problem rather
   than stopping at the first. Progress (0–60 %) is saved as it goes, each update committed on its
   own, so the import's page can show it.
2. Write: only when nothing is wrong, everything is written in one transaction with a handful of
   bulk queries. Nothing inside it is visible before it commits, so the bar waits at 60 %
   ("Saving") and jumps to 100 % with the counts.

A rejected import writes no school and no teacher. Re-importing matches by sourcedId, so it
updates rather than duplicates. Teachers the roster says have gone (tobedeleted, enabledUser=false, or
missing from a bulk users.csv) leave their caseloads in the same transaction, and the result names them.
"""

import datetime
import io
import logging
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from accounts import audit, scoping
from accounts.models import AuditEvent, District, RosterImport, School, User
from coaching.models import Enrollment, Teacher
from coaching.services import enrollment_steps_cancel
from config import rollups
from config.celery import enqueue
from config.jobs import MAX_STARTS, TRANSIENT_ERRORS, job_deadline_seconds, job_lock
from districts.roster.checks import (
    ONEROSTER_FILES,
    TEACHERS,
    V1_1,
    Plan,
    Problems,
    TeacherRow,
    check_oneroster,
    check_teachers_csv,
    unzip,
)

Kind, Status = RosterImport.Kind, RosterImport.Status
FINISHED = (Status.SUCCEEDED, Status.FAILED)
LOCK = "roster_import"  # the name of an import's config.jobs.job_lock

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
CHECKED_PERCENT = 60
SKIPPED_LISTED = 200

logger = logging.getLogger(__name__)


# --- the upload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    kind: str
    filename: str
    payload: bytes  # always a zip, so any worker reads every kind the same way


def bundle_upload(*, files: list[UploadedFile]) -> Upload:
    """Recognise what was uploaded: a OneRoster zip, its separate CSV files, or one teachers.csv."""
    names = [PurePosixPath(f.name).name for f in files]
    lower = [name.lower() for name in names]
    for name in names:
        if not name.lower().endswith((".zip", ".csv")):
            raise ValidationError(f"{name} is not a .zip or .csv file. From Excel, use Save As → “CSV UTF-8”.")
    if len(files) == 1 and lower[0].endswith(".zip"):
        return Upload(Kind.ONEROSTER, names[0], files[0].read())
    if set(lower) <= set(ONEROSTER_FILES) and len(set(lower)) == len(lower):
        members = {name: upload.read() for name, upload in zip(lower, files, strict=True)}
        return Upload(Kind.ONEROSTER, ", ".join(names), _zip(members))
    if len(files) == 1:
        return Upload(Kind.TEACHERS_CSV, names[0], _zip({TEACHERS: files[0].read()}))
    raise ValidationError(
        "Upload one OneRoster .zip, or its orgs.csv and users.csv (and manifest.csv) together, or one teachers.csv."
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@transaction.atomic
def import_create(*, district: District, actor: User, upload: Upload) -> RosterImport:
    """Store the upload, log it, and queue its import once the upload is committed."""
    roster_import = RosterImport(
        district=district, uploaded_by=actor, kind=upload.kind, filename=upload.filename[:255], payload=upload.payload
    )
    roster_import.full_clean()
    roster_import.save()
    audit.record(
        district=district,
        actor=actor,
        action=AuditEvent.Action.IMPORT,
        summary=f"Uploaded the roster {roster_import.filename} ({roster_import.get_kind_display()})",
        roster_import=roster_import.pk,
    )
    enqueue("districts.tasks.import_roster", roster_import.pk)  # runs once this transaction commits
    return roster_import


# --- writing --------------------------------------------------------------------------------


def _assign(obj, **values) -> bool:
    """Set the values that differ (None: leave as is); say whether anything changed."""
    changed = False
    for name, value in values.items():
        if value is not None and getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _save_schools(district: District, plan: Plan, *, by_sourced_id: bool) -> tuple[dict[str, School], dict]:
    """The district's schools by key (sourcedId or name), the plan's created or updated."""
    existing = list(scoping.district_rows(district, School).order_by("-pk"))  # the oldest wins a tie
    key = (lambda s: s.sourced_id) if by_sourced_id else (lambda s: s.name)
    by_key = {key(s): s for s in existing if key(s)}
    # A school made by hand or from teachers.csv is adopted by the roster entry of the same name.
    unsourced = {s.name: s for s in existing if by_sourced_id and not s.sourced_id}
    created, updated = [], []
    for sid, name in plan.schools.items():
        school = by_key.get(sid) or unsourced.pop(name, None)
        if school is None:
            created.append(School(district=district, name=name, sourced_id=sid if by_sourced_id else ""))
        elif by_sourced_id and _assign(school, name=name, sourced_id=sid):
            updated.append(school)
    School.objects.bulk_create(created)
    School.objects.bulk_update(updated, ["name", "sourced_id"])
    by_key.update({key(s): s for s in (*created, *updated)})
    return by_key, {"schools_created": len(created), "schools_updated": len(updated)}


def _teacher_keys(teacher: Teacher, by_sourced_id: bool) -> list:
    """The keys an existing teacher is found by: sourcedId for OneRoster, else (school, e-mail or name)."""
    email = teacher.email.lower()
    if by_sourced_id and teacher.sourced_id:
        return [teacher.sourced_id]
    if by_sourced_id:
        # Entered by hand or from teachers.csv: the roster's entry with the same e-mail adopts them.
        return [("email", email)] if email else []
    return [(teacher.school_id, "name", teacher.name)] + ([(teacher.school_id, "email", email)] if email else [])


def _find_teacher(existing: dict, row: TeacherRow, school: School, by_sourced_id: bool) -> Teacher | None:
    if by_sourced_id:
        # pop(): an adopted teacher is adopted once.
        return existing.get(row.sourced_id) or (existing.pop(("email", row.email.lower()), None) if row.email else None)
    return existing.get((school.pk, "email", row.email.lower()) if row.email else (school.pk, "name", row.name))


def _save_teachers(district: District, plan: Plan, schools: dict[str, School], *, by_sourced_id: bool) -> dict:
    existing = {}
    for teacher in scoping.district_rows(district, Teacher).order_by("-pk"):  # the oldest wins a tie
        existing.update(dict.fromkeys(_teacher_keys(teacher, by_sourced_id), teacher))
    created, updated, moved = [], {}, set()
    for row in plan.teachers:
        school = schools[row.school]
        teacher = _find_teacher(existing, row, school, by_sourced_id)
        values = {"school_id": school.pk, "name": row.name, "email": row.email, "subject": row.subject}
        values |= {"grade_band": row.grade_band, "sourced_id": row.sourced_id or None}
        if teacher is None:
            created.append(Teacher(**{name: value for name, value in values.items() if value is not None}))
            continue
        was = teacher.school_id
        if _assign(teacher, **values):
            updated[teacher.pk] = teacher
            if teacher.school_id != was:
                moved.add(teacher.pk)
    Teacher.objects.bulk_create(created, batch_size=2000)
    _update_teachers(list(updated.values()), ["school_id", "name", "email", "subject", "grade_band", "sourced_id"])
    # A teacher's coaching is counted under their school: the read model moves it with them (same transaction).
    enrollments = Enrollment.objects.filter(teacher__in=moved).values_list("pk", "coach_id")
    rollups.changed(enrollment_ids=[pk for pk, _ in enrollments], coach_ids=[coach for _, coach in enrollments])
    return {"teachers_created": len(created), "teachers_updated": len(updated)}


def _update_teachers(teachers: list[Teacher], fields: list[str], batch: int = 1000) -> None:
    """Teacher.objects.bulk_update, without the CASE WHEN expression per row and field that Django
    takes seconds to build for thousands of rows (40 s for 10,000 teachers): one
    UPDATE … FROM (VALUES …) per batch, which PostgreSQL and SQLite both run."""
    table = connection.ops.quote_name(Teacher._meta.db_table)
    columns = [connection.ops.quote_name(Teacher._meta.get_field(name).column) for name in fields]
    assignments = ", ".join(f"{column} = v.column{i}" for i, column in enumerate(columns, start=2))
    row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(teachers), batch):
            chunk = teachers[start : start + batch]
            values = [value for t in chunk for value in (t.pk, *(getattr(t, name) for name in fields))]
            # Only identifiers from the model's own metadata are formatted in; every value is a parameter.
            sql = f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row] * len(chunk))}) AS v "  # noqa: S608
            cursor.execute(sql + f"WHERE {table}.id = v.column1", values)


GONE_FROM_BULK = "no longer in users.csv, a complete (bulk) roster"


def _end_leavers(district: District, plan: Plan) -> list[dict]:
    """End the active enrollments of every rostered teacher the upload says has gone; name each one.

    Gone: marked tobedeleted or enabledUser=false, or (when users.csv is bulk, i.e. complete) a teacher
    with a sourcedId whom it no longer lists. Their Teacher row and coaching records stay until erased.
    Returns [{"name", "reason", "caseloads_ended"}] in name order.
    """
    reasons = {leaving.sourced_id: leaving.reason for leaving in plan.leaving}
    rostered = scoping.district_rows(district, Teacher).exclude(sourced_id="").values_list("pk", "sourced_id", "name")
    if plan.complete:
        listed = {row.sourced_id for row in plan.teachers} | set(reasons)
        leaving = [(pk, sid, name) for pk, sid, name in rostered if sid not in listed]
        reasons |= dict.fromkeys((sid for _, sid, _ in leaving), GONE_FROM_BULK)
    leavers = list(rostered.filter(sourced_id__in=list(reasons)))
    active = Enrollment.objects.active().filter(teacher_id__in=[pk for pk, _, _ in leavers])
    ending = list(active.only("pk", "teacher_id"))
    ended = Counter(enrollment.teacher_id for enrollment in ending)
    active.end(timezone.localdate())
    enrollment_steps_cancel(enrollments=ending)  # their scheduled steps leave both calendars (METHOD:CANCEL)
    # Every one is named, also a teacher long off every caseload whom bulk files keep leaving out: the
    # admin sees whose records are still kept (to erase them when the data agreement asks).
    listed = [{"name": name, "reason": reasons[sid], "caseloads_ended": ended.get(pk, 0)} for pk, sid, name in leavers]
    return sorted(listed, key=lambda leaver: leaver["name"].casefold())


def _leaders_to_invite(district: District, plan: Plan, schools: dict[str, School]) -> list[dict]:
    """The roster's school leaders who are not in Cadence yet, with their schools' names, to invite as principals.

    Cadence sends no invitation on its own: the district admin decides (People → Invite).
    """
    emails = {leader.email for leader in plan.leaders}
    known = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    return [
        {
            "name": leader.name,
            "email": leader.email,
            "schools": [schools[s].name for s in leader.schools if s in schools],
        }
        for leader in plan.leaders
        if leader.email not in known
    ]


def _write(district: District, plan: Plan, kind: str) -> dict:
    # One import per district at a time: two concurrent ones would both create the same schools.
    District.objects.select_for_update().filter(pk=district.pk).exists()
    by_sourced_id = kind == Kind.ONEROSTER
    schools, counts = _save_schools(district, plan, by_sourced_id=by_sourced_id)
    counts |= _save_teachers(district, plan, schools, by_sourced_id=by_sourced_id)
    # The page names what was left out (the first SKIPPED_LISTED of them; "skipped" counts them all).
    counts |= {"skipped": len(plan.skipped), "skipped_rows": plan.skipped[:SKIPPED_LISTED]}
    if not by_sourced_id:
        return counts
    notes = list(plan.notes)
    if left := _end_leavers(district, plan):
        counts["left"] = left
    if leaders := _leaders_to_invite(district, plan, schools):
        counts["principals_to_invite"] = leaders
        notes.append(
            f"The roster lists {len(leaders)} school administrator{'s' * (len(leaders) > 1)} not yet in Cadence: "
            "see “Principals to invite”. Cadence invites nobody by itself: invite them from People."
        )
    if notes:
        counts["notes"] = notes
    if plan.shape != V1_1:
        counts["format"] = plan.shape
    return counts


# --- running an import -----------------------------------------------------------------------


class Progress:
    """Saves the import's progress when it has moved by 5 points, committed at once so the page sees it."""

    def __init__(self, roster_import: RosterImport) -> None:
        self.pk, self.saved = roster_import.pk, roster_import.progress

    def __call__(self, percent: int) -> None:
        if percent >= self.saved + 5:
            RosterImport.objects.filter(pk=self.pk).update(progress=percent)
            self.saved = percent

    def rows(self, done: int, total: int) -> None:
        """Checking rows takes the bar from 5 % to CHECKED_PERCENT."""
        self(5 + (CHECKED_PERCENT - 5) * done // max(total, 1))


def _finish(roster_import: RosterImport, *, status: str, counts=None, errors=None, warnings=None) -> RosterImport:
    """Record the outcome, and drop the uploaded file: once imported (or rejected) nothing reads it
    again, and a copy of every teacher's name is one more thing an erasure would have to find. An
    interrupted import keeps it until it runs again (import_retry) or a teacher is erased."""
    roster_import.status, roster_import.progress, roster_import.finished_at = status, 100, timezone.now()
    roster_import.counts, roster_import.errors = counts or {}, errors or []
    roster_import.warnings = warnings or []
    fields = ["status", "progress", "finished_at", "counts", "errors", "warnings", "interrupted"]
    if not roster_import.interrupted:  # an interrupted import keeps its upload, to run again (import_retry)
        roster_import.payload = b""
        fields.append("payload")
    roster_import.save(update_fields=fields)
    return roster_import


def _stop(roster_import: RosterImport, *, reason: str) -> RosterImport:
    """Fail the import for a reason other than its files: nothing was saved, and the same upload can run again."""
    roster_import.interrupted = True
    errors = [{"file": "", "row": None, "message": reason}]
    return _finish(roster_import, status=Status.FAILED, counts={"problems": 1}, errors=errors)


def _check(roster_import: RosterImport, problems: Problems, progress: Progress) -> Plan:
    label, teachers_csv = roster_import.filename, roster_import.kind == Kind.TEACHERS_CSV
    files = unzip(bytes(roster_import.payload), label, (TEACHERS,) if teachers_csv else ONEROSTER_FILES, problems)
    if problems:
        return Plan()
    if teachers_csv:
        return check_teachers_csv(files, label=label, problems=problems, on_row=progress.rows)
    schools = set(roster_import.district.schools.exclude(sourced_id="").values_list("sourced_id", flat=True))
    return check_oneroster(files, label=label, district_schools=schools, problems=problems, on_row=progress.rows)


def import_run(*, roster_import: RosterImport) -> RosterImport:
    """Check the upload, then write it all or nothing.

    Deliberately not atomic as a whole (see the module docstring): the checking phase commits its
    progress as it goes, and only the write phase is one transaction. Run it through
    `import_execute`, which makes sure one worker at a time does.
    """
    if roster_import.status in FINISHED:
        return roster_import  # a redelivered task: the import already ran
    roster_import.status, roster_import.progress = Status.RUNNING, 0
    roster_import.attempts += 1
    roster_import.save(update_fields=["status", "progress", "attempts"])
    progress, problems = Progress(roster_import), Problems()
    plan = _check(roster_import, problems, progress)
    if problems:
        counts = {"problems": len(problems.errors)}  # there may be more than are listed
        return _finish(
            roster_import, status=Status.FAILED, counts=counts, errors=problems.listed(),
            warnings=problems.listed_warnings(),
        )  # fmt: skip
    progress(CHECKED_PERCENT)
    with transaction.atomic():
        counts = _write(roster_import.district, plan, roster_import.kind)
        return _finish(roster_import, status=Status.SUCCEEDED, counts=counts, warnings=problems.listed_warnings())


CRASHED = "The import stopped on an unexpected error and saved nothing. Run it again; if it happens again, tell us."


def import_execute(*, import_id: int) -> RosterImport | None:
    """The worker's entry point: run the import once, whatever happens to workers and the database.

    Returns the import as it ended, or None when there is nothing to do here: it no longer exists
    (its district was deleted), or another worker is running it (a duplicate delivery). Raises the
    transient errors (config.jobs.TRANSIENT_ERRORS) for the task to retry with backoff; any other
    error fails the import with a reason rather than leave it "importing". An import started
    MAX_STARTS times without finishing (its worker killed each time) is failed instead of run again.
    """
    with job_lock(LOCK, import_id) as mine:
        if not mine:
            return None
        roster_import = RosterImport.objects.select_related("district").filter(pk=import_id).first()
        if roster_import is None or roster_import.status in FINISHED:
            return roster_import
        if roster_import.attempts >= MAX_STARTS:
            reason = (
                f"The import was interrupted {roster_import.attempts} times (its worker stopped, or the database "
                "was unreachable) and saved nothing. Run it again; if it happens again, tell us."
            )
            return _stop(roster_import, reason=reason)
        try:
            return import_run(roster_import=roster_import)
        except TRANSIENT_ERRORS:
            raise
        except Exception:
            # A bug, or the time limit: the write transaction rolled back. Say so on the import's page.
            logger.exception("Roster import %s crashed.", import_id)
            return _stop(roster_import, reason=CRASHED)


def import_give_up(*, import_id: int, reason: str) -> RosterImport | None:
    """Fail an import whose task ran out of retries; `reason` completes "The import stopped and saved nothing: …"."""
    with job_lock(LOCK, import_id) as mine:
        roster_import = RosterImport.objects.filter(pk=import_id, finished_at__isnull=True).first()
        if not mine or roster_import is None:
            return None
        return _stop(roster_import, reason=f"The import stopped and saved nothing: {reason}. Run it again.")


def imports_sweep(*, now: datetime.datetime | None = None) -> int:
    """Fail every import still unfinished JOB_DEADLINE_SECONDS after its upload that no worker is running.

    Run every minute by Celery beat (districts.tasks.sweep_imports). Returns how many it failed. An
    import a worker holds right now is left alone: the task time limit ends it, or it finishes.
    """
    deadline = job_deadline_seconds()
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=deadline)
    stale = RosterImport.objects.filter(finished_at__isnull=True, created_at__lt=cutoff)
    swept = 0
    for pk in list(stale.values_list("pk", flat=True)):
        with job_lock(LOCK, pk) as mine:
            roster_import = RosterImport.objects.filter(pk=pk, finished_at__isnull=True).first()
            if mine and roster_import:
                started = roster_import.status == Status.RUNNING
                what = "did not finish" if started else "never started (no worker took it)"
                minutes = round(deadline / 60)
                _stop(
                    roster_import, reason=f"The import {what} within {minutes} minutes and saved nothing. Run it again."
                )
                swept += 1
    return swept


@transaction.atomic
def import_retry(*, actor: User, roster_import: RosterImport) -> RosterImport:
    """Run an interrupted import again: a new import of the same upload (the failed one stays in the list,
    without its upload, so that one copy of the file exists).

    ValidationError for an import that is not an interrupted failure (one rejected for its files would
    only be rejected again), or whose upload is gone (emptied by a teacher's erasure since).
    """
    if roster_import.status != Status.FAILED or not roster_import.interrupted:
        raise ValidationError("Only an interrupted import can run again. Fix the files and upload them instead.")
    payload = bytes(RosterImport.objects.filter(pk=roster_import.pk).values_list("payload", flat=True).get())
    if not payload:
        raise ValidationError("This upload was deleted since (a teacher was erased): upload the files again.")
    upload = Upload(roster_import.kind, roster_import.filename, payload)
    again = import_create(district=roster_import.district, actor=actor, upload=upload)
    RosterImport.objects.filter(pk=roster_import.pk).update(payload=b"")
    return again
