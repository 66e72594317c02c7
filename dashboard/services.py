"""Writes of the dashboard app: the district's data rights (export, erasure)."""

import datetime
import io
import logging
import zipfile
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from accounts import audit, scoping
from accounts.models import AuditEvent, District, Invitation, Membership, RosterImport, School, User
from coaching import invitations
from coaching import services as coaching_services
from coaching.models import (
    Activity,
    Challenge,
    Cycle,
    Enrollment,
    Goal,
    ImpactStory,
    ITURating,
    ITUScore,
    Program,
    Reflection,
    Step,
    Strategy,
    StrategyCandidate,
    Teacher,
    Tool,
)
from config.celery import enqueue
from config.spreadsheets import csv_writer
from dashboard import selectors
from dashboard.models import DataExport
from standards.models import SelfAssessment, SelfAssessmentRating

logger = logging.getLogger(__name__)
Action = AuditEvent.Action


# --- export all district data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One CSV file of the export: a model's rows of the district, and its columns.

    A through table (no `reach` of its own) names with `via` the field to the model whose district it shares.
    """

    filename: str
    model: type[Model]
    columns: tuple[str, ...]
    via: str = ""

    def rows(self, district: District) -> QuerySet:
        return scoping.district_rows(district, self.model, via=self.via)


# Everything of a district, one file per table; foreign keys are exported as ids so the files join.
# Passwords, invitation token hashes and uploaded roster files are not data a district gets back.
# fmt: off
TABLES = (
    Table("schools.csv", School, ("id", "name", "sourced_id")),
    Table("users.csv", Membership,
          ("user_id", "user__email", "user__full_name", "role", "user__is_active", "user__date_joined")),
    Table("user_schools.csv", Membership.schools.through, ("membership__user_id", "school_id"), via="membership"),
    Table("invitations.csv", Invitation,
          ("id", "email", "full_name", "role", "invited_by_id", "created_at", "expires_at", "accepted_at")),
    Table("roster_imports.csv", RosterImport,
          ("id", "uploaded_by_id", "kind", "filename", "status", "counts", "errors", "created_at", "finished_at")),
    Table("programs.csv", Program, ("id", "name", "starts_on", "ends_on")),
    Table("program_schools.csv", Program.schools.through, ("program_id", "school_id"), via="program"),
    Table("program_coaches.csv", Program.coaches.through, ("program_id", "user_id"), via="program"),
    Table("goals.csv", Goal, ("id", "school_id", "title")),
    Table("teachers.csv", Teacher,
          ("id", "school_id", "name", "email", "subject", "grade_band", "sourced_id")),
    Table("enrollments.csv", Enrollment,
          ("id", "program_id", "coach_id", "teacher_id", "starts_on", "ends_on", "last_contact_on")),
    Table("tools.csv", Tool, ("id", "name", "description", "url", "retired_at")),
    Table("strategies.csv", Strategy,
          ("id", "title", "description", "category", "itu_indicator", "subject", "grade_band", "created_by_id",
           "retired_at")),
    Table("strategy_tools.csv", Strategy.tools.through, ("strategy_id", "tool_id"), via="strategy"),
    Table("challenges.csv", Challenge,
          ("id", "enrollment_id", "problems", "title", "category", "root_cause_notes", "goal_id", "status",
           "strategy_id", "outcome", "opened_on", "closed_on")),
    Table("challenge_tools.csv", Challenge.tools.through, ("challenge_id", "tool_id"), via="challenge"),
    *(Table(f"challenge_{field}.csv", getattr(Challenge, field).through, ("challenge_id", "standard__code"),
            via="challenge")
      for field in ("identify_standards", "investigate_standards", "select_standards")),
    Table("candidates.csv", StrategyCandidate, ("id", "challenge_id", "strategy_id", "source", "notes")),
    Table("cycles.csv", Cycle, ("id", "challenge_id", "number", "strategy_id", "completed_on")),
    Table("steps.csv", Step,
          ("id", "cycle_id", "kind", "starts_at", "minutes", "done", "visit_mode", "notes", "data_collected",
           "next_steps", "invite_teacher")),
    Table("step_standards.csv", Step.standards.through, ("step_id", "standard__code"), via="step"),
    Table("reflections.csv", Reflection, ("id", "challenge_id", "held_on", "minutes", "notes", "decision")),
    Table("reflection_standards.csv", Reflection.standards.through, ("reflection_id", "standard__code"),
          via="reflection"),
    Table("itu_ratings.csv", ITURating, ("id", "enrollment_id", "phase", "rated_on")),
    Table("itu_scores.csv", ITUScore, ("id", "rating_id", "indicator", "frequency", "proficiency")),
    Table("activities.csv", Activity,
          ("id", "coach_id", "kind", "school_id", "enrollment_id", "channel", "held_on", "minutes", "notes")),
    Table("activity_standards.csv", Activity.standards.through, ("activity_id", "standard__code"), via="activity"),
    Table("impact_stories.csv", ImpactStory,
          ("id", "coach_id", "enrollment_id", "title", "story", "told_on", "share_with_principal",
           "share_with_district")),
    Table("self_assessments.csv", SelfAssessment, ("id", "coach_id", "assessed_on", "created_at"), via="coach"),
    Table("self_assessment_ratings.csv", SelfAssessmentRating, ("id", "assessment_id", "standard__code", "rating"),
          via="assessment__coach"),
    Table("audit_log.csv", AuditEvent, ("id", "created_at", "actor_id", "action", "summary", "details")),
)
# fmt: on


def _write_table(archive: zipfile.ZipFile, table: Table, district: District, when: datetime.datetime) -> None:
    """Stream one table into the archive, a chunk of rows at a time."""
    rows = table.rows(district).order_by("pk").values_list(*table.columns).iterator(chunk_size=2000)
    entry = zipfile.ZipInfo(table.filename, date_time=when.timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(entry, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        # Cadence's one CSV writer: the admin opens these in Excel, where a coach's "=…" must not run.
        writer = csv_writer(text)
        writer.writerow(table.columns)
        writer.writerows(rows)


def export_archive(*, district: District) -> bytes:
    """A zip of one CSV file per table with everything the district has in Cadence."""
    buffer, now = io.BytesIO(), timezone.localtime(timezone=zoneinfo.ZoneInfo(district.timezone))
    with zipfile.ZipFile(buffer, "w") as archive:
        for table in TABLES:
            _write_table(archive, table, district, now)
    return buffer.getvalue()


def _consistent_snapshot() -> None:
    """Make every query of the transaction just begun see the same moment of the database.

    PostgreSQL's default (READ COMMITTED) gives each query its own snapshot, so a step logged while
    the export runs could appear in steps.csv without its cycle in cycles.csv.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


@transaction.atomic
def export_request(*, actor: User, district: District) -> DataExport:
    """Ask for an export: audited now (an export reads every confidential record), built by a task."""
    # One at a time: each export reads the whole district. A task lost by a worker stops blocking
    # after the hour (the task time limit is minutes).
    recent = timezone.now() - datetime.timedelta(hours=1)
    if (
        scoping.district_rows(district, DataExport)
        .filter(status=DataExport.Status.PENDING, created_at__gte=recent)
        .exists()
    ):
        raise ValidationError("An export is already being prepared. It appears below when it is ready.")
    export = DataExport.objects.create(district=district, requested_by=actor)
    audit.record(
        district=district,
        actor=actor,
        action=Action.EXPORT,
        summary="Requested an export of all district data",
        export_id=export.pk,
    )
    transaction.on_commit(lambda: enqueue("dashboard.tasks.build_export", export.pk))
    return export


def export_build(*, export_id: int) -> DataExport:
    """Build the archive of a pending export; a failure is kept on the export for the admin to see."""
    export = DataExport.objects.select_related("district").get(pk=export_id)
    if export.status != DataExport.Status.PENDING:
        return export  # a retried or duplicated task: the work is done
    try:
        fresh = not connection.in_atomic_block  # a worker: this atomic block begins the transaction
        with transaction.atomic():
            if fresh:
                _consistent_snapshot()
            content = export_archive(district=export.district)
    except Exception as error:
        logger.exception("Export %s failed", export_id)
        export.status, export.error = (
            DataExport.Status.FAILED,
            f"The export could not be built ({type(error).__name__}).",
        )
    else:
        export.status, export.content = DataExport.Status.READY, content
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "content", "error", "finished_at"])
    return export


@transaction.atomic
def export_downloaded(*, actor: User, export: DataExport) -> None:
    audit.record(
        district=export.district,
        actor=actor,
        action=Action.EXPORT,
        summary=f"Downloaded the export of {timezone.localtime(export.created_at):%Y-%m-%d %H:%M}",
        export_id=export.pk,
    )


# --- erase a teacher ------------------------------------------------------------------------------


def _matches(confirmation: str, name: str) -> bool:
    return " ".join(confirmation.split()).casefold() == " ".join(name.split()).casefold()


@transaction.atomic
def teacher_erase(*, actor: User, teacher: Teacher, confirmation: str) -> dict[str, int]:
    """Delete a teacher and every record about them, in every table; returns what was deleted.

    Scheduled steps are cancelled in the calendars they were sent to (coaching.invitations).
    Deleting the Teacher cascades through its enrollments to challenges (candidates, cycles, steps,
    reflections), ITU ratings and scores, touchpoints and impact stories, and the through tables of
    their standards and tools. There are no rollup tables yet: when there are, rebuild them here.
    """
    if not _matches(confirmation, teacher.name):
        raise ValidationError({"confirmation": "Type the teacher's name exactly as shown to confirm."})
    district, teacher_id = teacher.school.district, teacher.pk
    counts = selectors.erasure_counts(teacher)
    # Calendars that hold a scheduled step get its cancellation (sent, then forgotten, by a task that
    # needs no row of the teacher's); the calendar events of done steps go now.
    enrollments = list(teacher.enrollments.all())
    coaching_services.enrollment_steps_cancel(enrollments=enrollments)
    invitations.events_forget(Step.objects.filter(cycle__challenge__enrollment__in=enrollments))
    teacher.delete()
    # The audit line keeps the id and the counts but not the name or e-mail: the point of erasure
    # is that nothing identifies the teacher afterwards, the audit log included.
    audit.record(
        district=district,
        actor=actor,
        action=Action.ERASE,
        summary=f"Erased teacher #{teacher_id} and all their coaching records",
        teacher_id=teacher_id,
        counts=counts,
    )
    return counts
