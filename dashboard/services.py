"""Writes of the dashboard app: impact stories, and the district's data rights (export, erasure)."""

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

from accounts import audit
from accounts.models import AuditEvent, District, Invitation, Membership, RosterImport, School
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
from coaching.tasks import enqueue
from config.spreadsheets import csv_writer
from dashboard import selectors
from dashboard.models import DataExport
from standards.models import SelfAssessment, SelfAssessmentRating

logger = logging.getLogger(__name__)
Action = AuditEvent.Action


# --- impact stories -------------------------------------------------------------------------------


@transaction.atomic
def story_save(
    *,
    coach,
    enrollment: Enrollment,
    title: str,
    story: str,
    told_on: datetime.date,
    share_with_principal: bool = False,
    share_with_district: bool = False,
    instance: ImpactStory | None = None,
) -> ImpactStory:
    """Write a story of impact (3F), or change it, e.g. when the teacher withdraws their consent."""
    if enrollment.coach_id != coach.pk:
        raise ValidationError({"enrollment": "Choose a teacher on your caseload."})
    if instance is not None and instance.coach_id != coach.pk:
        raise ValidationError("Only the coach who wrote a story can change it.")
    impact = instance or ImpactStory(coach=coach)
    impact.enrollment, impact.title, impact.story, impact.told_on = enrollment, title, story, told_on
    impact.share_with_principal, impact.share_with_district = share_with_principal, share_with_district
    impact.full_clean()
    impact.save()
    return impact


# --- export all district data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One CSV file of the export: a model's rows of the district (found through `district`), and its columns."""

    filename: str
    model: type[Model]
    district: str  # the lookup from the model to its District
    columns: tuple[str, ...]

    def rows(self, district: District) -> QuerySet:
        return self.model.objects.filter(**{self.district: district})


_ENROLLMENT = "enrollment__program__district"
_CHALLENGE = f"challenge__{_ENROLLMENT}"
_CYCLE = f"cycle__{_CHALLENGE}"
_COACH = "coach__membership__district"

# Everything of a district, one file per table; foreign keys are exported as ids so the files join.
# Passwords, invitation token hashes and uploaded roster files are not data a district gets back.
# fmt: off
TABLES = (
    Table("schools.csv", School, "district", ("id", "name", "sourced_id")),
    Table("users.csv", Membership, "district",
          ("user_id", "user__email", "user__full_name", "role", "user__is_active", "user__date_joined")),
    Table("user_schools.csv", Membership.schools.through, "membership__district", ("membership__user_id", "school_id")),
    Table("invitations.csv", Invitation, "district",
          ("id", "email", "full_name", "role", "invited_by_id", "created_at", "expires_at", "accepted_at")),
    Table("roster_imports.csv", RosterImport, "district",
          ("id", "uploaded_by_id", "kind", "filename", "status", "counts", "errors", "created_at", "finished_at")),
    Table("programs.csv", Program, "district", ("id", "name", "starts_on", "ends_on")),
    Table("program_schools.csv", Program.schools.through, "program__district", ("program_id", "school_id")),
    Table("program_coaches.csv", Program.coaches.through, "program__district", ("program_id", "user_id")),
    Table("goals.csv", Goal, "district", ("id", "school_id", "title")),
    Table("teachers.csv", Teacher, "school__district",
          ("id", "school_id", "name", "email", "subject", "grade_band", "sourced_id")),
    Table("enrollments.csv", Enrollment, "program__district",
          ("id", "program_id", "coach_id", "teacher_id", "starts_on", "ends_on", "last_contact_on")),
    Table("tools.csv", Tool, "district", ("id", "name", "description", "url", "retired_at")),
    Table("strategies.csv", Strategy, "district",
          ("id", "title", "description", "category", "itu_indicator", "subject", "grade_band", "created_by_id",
           "retired_at")),
    Table("strategy_tools.csv", Strategy.tools.through, "strategy__district", ("strategy_id", "tool_id")),
    Table("challenges.csv", Challenge, _ENROLLMENT,
          ("id", "enrollment_id", "problems", "title", "category", "root_cause_notes", "goal_id", "status",
           "strategy_id", "outcome", "opened_on", "closed_on")),
    Table("challenge_tools.csv", Challenge.tools.through, _CHALLENGE, ("challenge_id", "tool_id")),
    *(Table(f"challenge_{field}.csv", getattr(Challenge, field).through, _CHALLENGE, ("challenge_id", "standard__code"))
      for field in ("identify_standards", "investigate_standards", "select_standards")),
    Table("candidates.csv", StrategyCandidate, _CHALLENGE, ("id", "challenge_id", "strategy_id", "source", "notes")),
    Table("cycles.csv", Cycle, _CHALLENGE, ("id", "challenge_id", "number", "strategy_id", "completed_on")),
    Table("steps.csv", Step, _CYCLE,
          ("id", "cycle_id", "kind", "starts_at", "minutes", "done", "visit_mode", "notes", "data_collected",
           "next_steps", "invite_teacher")),
    Table("step_standards.csv", Step.standards.through, f"step__{_CYCLE}", ("step_id", "standard__code")),
    Table("reflections.csv", Reflection, _CHALLENGE, ("id", "challenge_id", "held_on", "minutes", "notes", "decision")),
    Table("reflection_standards.csv", Reflection.standards.through, f"reflection__{_CHALLENGE}",
          ("reflection_id", "standard__code")),
    Table("itu_ratings.csv", ITURating, _ENROLLMENT, ("id", "enrollment_id", "phase", "rated_on")),
    Table("itu_scores.csv", ITUScore, f"rating__{_ENROLLMENT}",
          ("id", "rating_id", "indicator", "frequency", "proficiency")),
    Table("activities.csv", Activity, _COACH,
          ("id", "coach_id", "kind", "school_id", "enrollment_id", "channel", "held_on", "minutes", "notes")),
    Table("activity_standards.csv", Activity.standards.through, f"activity__{_COACH}",
          ("activity_id", "standard__code")),
    Table("impact_stories.csv", ImpactStory, _ENROLLMENT,
          ("id", "coach_id", "enrollment_id", "title", "story", "told_on", "share_with_principal",
           "share_with_district")),
    Table("self_assessments.csv", SelfAssessment, _COACH, ("id", "coach_id", "assessed_on", "created_at")),
    Table("self_assessment_ratings.csv", SelfAssessmentRating, f"assessment__{_COACH}",
          ("id", "assessment_id", "standard__code", "rating")),
    Table("audit_log.csv", AuditEvent, "district", ("id", "created_at", "actor_id", "action", "summary", "details")),
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


def export_archive(district: District) -> bytes:
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
def export_request(*, actor, district: District) -> DataExport:
    """Ask for an export: audited now (an export reads every confidential record), built by a task."""
    from dashboard.tasks import build_export  # the task module imports this one

    # One at a time: each export reads the whole district. A task lost by a worker stops blocking
    # after the hour (the task time limit is minutes).
    recent = timezone.now() - datetime.timedelta(hours=1)
    if DataExport.objects.filter(district=district, status=DataExport.Status.PENDING, created_at__gte=recent).exists():
        raise ValidationError("An export is already being prepared. It appears below when it is ready.")
    export = DataExport.objects.create(district=district, requested_by=actor)
    audit.record(
        district=district,
        actor=actor,
        action=Action.EXPORT,
        summary="Requested an export of all district data",
        export_id=export.pk,
    )
    transaction.on_commit(lambda: enqueue(build_export, export.pk))
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
            content = export_archive(export.district)
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
def export_downloaded(*, actor, export: DataExport) -> None:
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
def teacher_erase(*, actor, teacher: Teacher, confirmation: str) -> dict[str, int]:
    """Delete a teacher and every record about them, in every table; returns what was deleted.

    Deleting the Teacher cascades through its enrollments to challenges (candidates, cycles, steps,
    reflections), ITU ratings and scores, touchpoints and impact stories, and the through tables of
    their standards and tools. There are no rollup tables yet: when there are, rebuild them here.
    """
    if not _matches(confirmation, teacher.name):
        raise ValidationError({"confirmation": "Type the teacher's name exactly as shown to confirm."})
    district, teacher_id = teacher.school.district, teacher.pk
    counts = selectors.erasure_counts(teacher)
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
