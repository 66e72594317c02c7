"""Writes of the dashboard app: the read model (rollups), the district's data rights (export, erasure)."""

import datetime
import io
import logging
import re
import zipfile
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models, transaction
from django.db.models import Count, DateField, F, Max, Model, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from accounts import audit, scoping
from accounts.models import AuditEvent, District, Invitation, Membership, Role, RosterImport, School, User
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
from config import rollups
from config.celery import enqueue
from config.jobs import MAX_STARTS, TRANSIENT_ERRORS, job_deadline_seconds, job_lock
from config.spreadsheets import csv_writer, xlsx_writer
from dashboard import exports, selectors
from dashboard.models import (
    ChallengeCount,
    CoachMonth,
    CoachStandardMonth,
    CoachStandardYear,
    DataExport,
    EnrollmentCadence,
    EnrollmentITU,
    EnrollmentMonth,
    ProgramTeacher,
    SchoolITU,
    SchoolMonth,
    SchoolWideMonth,
    TeacherYear,
)
from standards.models import SelfAssessment, SelfAssessmentRating, Standard

logger = logging.getLogger(__name__)
Action = AuditEvent.Action
LOCK = "data_export"  # the name of an export's config.jobs.job_lock


# --- the read model ---------------------------------------------------------------------------------
#
# Each rollup row is recomputed whole from the raw rows of its key (an enrollment, or a coach), so a
# refresh is correct whatever changed: a create, an edit that moves a step to another month, an undone
# step, a deletion. Refresh and rebuild share the code below; they differ only in the rows they cover.


def _month(field: str) -> TruncMonth:
    """The first day of the month of `field` (a date, or a datetime in the current timezone)."""
    return TruncMonth(field, output_field=DateField())


# The UNION that recomputes enrollments' months, built once: a refresh (the coach's most frequent write) only
# narrows each part to its enrollments, rather than building eleven aggregates and their shape again.
_RESOLVED = Challenge.objects.filter(outcome=Challenge.Outcome.RESOLVED, closed_on__isnull=False)
_SOURCES = (  # (rows, their enrollment, their day, {figure: aggregate}); every other figure is 0
    (Step.objects.filter(done=True), "cycle__challenge__enrollment", "starts_at", {
        "plan_meetings": Count("pk", filter=Q(kind=Step.Kind.PLAN_MEETING)),
        "visits": Count("pk", filter=Q(kind=Step.Kind.VISIT)),
        "debriefs": Count("pk", filter=Q(kind=Step.Kind.DEBRIEF)),
        "step_minutes": Sum("minutes"),
    }),
    (Reflection.objects.all(), "challenge__enrollment", "held_on", {
        "reflections": Count("pk"), "reflection_minutes": Sum("minutes"),
    }),
    (Activity.objects.all(), "enrollment", "held_on", {
        "touchpoints": Count("pk"), "touchpoint_minutes": Sum("minutes"),
    }),
    (Cycle.objects.filter(completed_on__isnull=False), "challenge__enrollment", "completed_on", {
        "cycles_completed": Count("pk"),
    }),
    (_RESOLVED, "enrollment", "closed_on", {"resolved": Count("pk")}),
)  # fmt: skip
# One shape for the UNION: the source's number, then its figures in n0…n3 (0 where it has fewer).
_WIDTH = max(len(aggregates) for *_, aggregates in _SOURCES)


def _part(source: int, rows: QuerySet, enrollment: str, day, aggregates: dict) -> QuerySet:
    return (
        rows.values(of=F(enrollment), month=day)
        .annotate(source=Value(source), **{f"n{j}": agg for j, agg in enumerate(aggregates.values())})
        .annotate(**{f"n{j}": Value(0) for j in range(len(aggregates), _WIDTH)})
        .order_by()
    )


_PARTS = [
    (f"{enrollment}__in", _part(i, rows, enrollment, _month(day), aggregates))
    for i, (rows, enrollment, day, aggregates) in enumerate(_SOURCES)
]
# And the last part: the done steps of each enrollment's latest cycle, by local day ("month" holds the day),
# with how many of each kind (n0…n2, in Step.ORDER) were done that day.
_CADENCE = len(_SOURCES)
_CADENCE_PART = _part(
    _CADENCE, Step.objects.filter(done=True), "cycle__challenge__enrollment", TruncDate("starts_at"),
    {kind: Count("pk", filter=Q(kind=kind)) for kind in Step.ORDER},
)  # fmt: skip
# The id of an enrollment's (`OuterRef("pk")`) latest cycle: the newest, by its challenge's opening and its number,
# with a step done; found from the newest challenges down (coaching.Challenge's index), so that it reads a
# challenge or two of the enrollment's, not its whole history.
_LATEST_CYCLE = Subquery(
    Cycle.objects.filter(challenge__enrollment=OuterRef("pk"), steps__done=True)
    .order_by("-challenge__opened_on", "-challenge_id", "-number")
    .values("pk")[:1]
)


def _gap(days: dict[str, datetime.date], a: str, b: str) -> int | None:
    return (days[b] - days[a]).days if a in days and b in days else None


def _enrollment_months(
    enrollments: QuerySet[Enrollment],
) -> tuple[list[EnrollmentMonth], list[EnrollmentCadence], set[tuple]]:
    """EnrollmentMonth and EnrollmentCadence rows computed from the raw rows of `enrollments`, and the
    EnrollmentCadence rows they have now (CADENCE_COLUMNS tuples). 2 queries: the enrollments with their cadence,
    then in one UNION the five kinds of work grouped by enrollment and month, and the done steps of each one's
    latest cycle by day."""
    meta = {
        row["pk"]: row
        for row in enrollments.values(
            "pk", "program_id", "coach_id", "teacher_id", "cadence__plan_to_visit", "cadence__visit_to_debrief",
            school=F("teacher__school_id"),
        ).order_by()
    }  # fmt: skip
    if not meta:
        return [], [], set()
    cadence_before = {
        (pk, row["cadence__plan_to_visit"], row["cadence__visit_to_debrief"])
        for pk, row in meta.items()
        if row["cadence__plan_to_visit"] is not None or row["cadence__visit_to_debrief"] is not None
    }  # a row exists only while one of the two is known
    ids = list(meta)
    parts = [part.filter(**{enrollment_in: ids}) for enrollment_in, part in _PARTS]
    parts.append(_CADENCE_PART.filter(cycle__in=Enrollment.objects.filter(pk__in=ids).values(latest=_LATEST_CYCLE)))
    cells: dict[tuple[int, datetime.date], dict[str, int]] = {}
    latest_days: dict[int, dict[str, datetime.date]] = {}
    for row in parts[0].union(*parts[1:], all=True):
        if row["source"] == _CADENCE:
            days = latest_days.setdefault(row["of"], {})
            days.update((kind, row["month"]) for j, kind in enumerate(Step.ORDER) if row[f"n{j}"])
            continue
        cell = cells.setdefault((row["of"], row["month"]), dict.fromkeys(EnrollmentMonth.FIGURES, 0))
        for j, figure in enumerate(_SOURCES[row["source"]][3]):
            cell[figure] += row[f"n{j}"] or 0
    rows = []
    for (enrollment_id, month), cell in cells.items():
        m = meta[enrollment_id]
        rows.append(
            EnrollmentMonth(
                enrollment_id=enrollment_id,
                month=month,
                program_id=m["program_id"],
                coach_id=m["coach_id"],
                school_id=m["school"],
                teacher_id=m["teacher_id"],
                **cell,
            )
        )
    cadence = []
    for enrollment_id, days in latest_days.items():
        gaps = {"plan_to_visit": _gap(days, Step.Kind.PLAN_MEETING, Step.Kind.VISIT)}
        gaps["visit_to_debrief"] = _gap(days, Step.Kind.VISIT, Step.Kind.DEBRIEF)
        if any(gap is not None for gap in gaps.values()):
            cadence.append(EnrollmentCadence(enrollment_id=enrollment_id, **gaps))
    return rows, cadence, cadence_before


def _enrollment_itu(enrollments: QuerySet[Enrollment]) -> list[EnrollmentITU]:
    """Baseline and latest (end, else mid) per indicator, for enrollments rated at baseline."""
    scores = (
        ITUScore.objects.filter(rating__enrollment__in=enrollments)
        .values(
            "indicator",
            "frequency",
            "proficiency",
            "rating__phase",
            "rating__enrollment",
            "rating__enrollment__program_id",
            "rating__enrollment__coach_id",
            "rating__enrollment__teacher_id",
            "rating__enrollment__teacher__school_id",
        )
        .order_by()
    )
    by_key: dict[tuple[int, str], dict] = {}
    for score in scores:
        cell = by_key.setdefault((score["rating__enrollment"], score["indicator"]), {"meta": score})
        cell[score["rating__phase"]] = (score["frequency"], score["proficiency"])
    rows = []
    for (enrollment_id, indicator), cell in by_key.items():
        if ITURating.Phase.BASELINE not in cell:
            continue
        latest = cell.get(ITURating.Phase.END) or cell.get(ITURating.Phase.MID) or (None, None)
        meta = cell["meta"]
        rows.append(
            EnrollmentITU(
                enrollment_id=enrollment_id,
                indicator=indicator,
                program_id=meta["rating__enrollment__program_id"],
                coach_id=meta["rating__enrollment__coach_id"],
                school_id=meta["rating__enrollment__teacher__school_id"],
                teacher_id=meta["rating__enrollment__teacher_id"],
                baseline_frequency=cell[ITURating.Phase.BASELINE][0],
                baseline_proficiency=cell[ITURating.Phase.BASELINE][1],
                latest_frequency=latest[0],
                latest_proficiency=latest[1],
            )
        )
    return rows


def _within(field: str, months: set[datetime.date] | None, *, moment: bool = False) -> Q:
    """Rows whose `field` (a date; a datetime when `moment`, in the current timezone) falls in one of
    `months` (first days of months); every row when `months` is None."""
    if months is None:
        return Q()
    within = Q(pk__in=[])
    for month in months:
        bounds = (month, (month + datetime.timedelta(days=32)).replace(day=1))
        if moment:
            bounds = tuple(timezone.make_aware(datetime.datetime.combine(day, datetime.time())) for day in bounds)
        within |= Q(**{f"{field}__gte": bounds[0], f"{field}__lt": bounds[1]})
    return within


def _coach_months(
    coach_ids: list[int] | None, months: set[datetime.date] | None = None, work: set[int] | None = None
) -> list[CoachMonth]:
    """Activities per coach, enrollment, kind, school and month (in `months`, or all; of the enrollments in
    `work` and the coaches' own, or all)."""
    activities = Activity.objects.filter(_within("held_on", months))
    if coach_ids is not None:
        activities = activities.filter(coach__in=coach_ids)
    if work is not None:
        activities = activities.filter(Q(enrollment__in=work) | Q(enrollment=None))
    rows = activities.values("coach_id", "enrollment_id", "kind", "school_id", month=_month("held_on")).annotate(
        count=Count("pk"), minutes=Sum("minutes")
    )
    return [CoachMonth(**row) for row in rows.order_by()]


def _coach_standard_months(
    coach_ids: list[int] | None, months: set[datetime.date] | None = None, work: set[int] | None = None
) -> list[CoachStandardMonth]:
    """Tags of done steps, reflections, activities and a challenge's first three steps per coach, month and
    standard (in `months`, or all; of the enrollments in `work` and the coaches' own activities, or all).
    Narrowed to `work`, the steps read are one teacher's, not the coach's whole history."""
    step, reflection = "step__cycle__challenge__enrollment", "reflection__challenge__enrollment"
    challenge = "challenge__enrollment"
    sources = (  # (tags, their enrollment, the day, which count)
        (Step.standards.through, step, "step__starts_at", Q(step__done=True)),
        (Reflection.standards.through, reflection, "reflection__held_on", Q()),
        (Activity.standards.through, "activity__enrollment", "activity__held_on", Q()),
        # The tags of identifying, investigating and selecting, dated by the challenge's opening.
        (Challenge.identify_standards.through, challenge, "challenge__opened_on", Q()),
        (Challenge.investigate_standards.through, challenge, "challenge__opened_on", Q()),
        (Challenge.select_standards.through, challenge, "challenge__opened_on", Q()),
    )
    coach_of = {step: f"{step}__coach", reflection: f"{reflection}__coach", "activity__enrollment": "activity__coach"}
    coach_of[challenge] = f"{challenge}__coach"
    counts = []
    for through, enrollment, day, condition in sources:
        coach = coach_of[enrollment]
        tags = through.objects.filter(condition, _within(day, months, moment=day == "step__starts_at"))
        if coach_ids is not None:
            tags = tags.filter(**{f"{coach}__in": coach_ids})
        if work is not None:
            mine = Q(**{f"{enrollment}__in": work})
            tags = tags.filter(mine | Q(activity__enrollment=None) if through is Activity.standards.through else mine)
        rows = tags.values("standard_id", coach_id=F(coach), enrollment_id=F(enrollment), month=_month(day))
        counts.append(rows.annotate(n=Count("pk")).order_by())
    uses: dict[tuple[int, int | None, datetime.date, int], int] = {}
    for row in counts[0].union(*counts[1:], all=True):  # one query for the six kinds of tags
        key = (row["coach_id"], row["enrollment_id"], row["month"], row["standard_id"])
        uses[key] = uses.get(key, 0) + row["n"]
    return [
        CoachStandardMonth(coach_id=coach_id, enrollment_id=enrollment_id, month=month, standard_id=standard_id, uses=n)
        for (coach_id, enrollment_id, month, standard_id), n in uses.items()
    ]


MONTH_COLUMNS = (
    "enrollment_id",
    "month",
    "program_id",
    "coach_id",
    "school_id",
    "teacher_id",
    *EnrollmentMonth.FIGURES,
)
CADENCE_COLUMNS = ("enrollment_id", "plan_to_visit", "visit_to_debrief")
PROGRAM_TEACHER_COLUMNS = ("program_id", "teacher_id", "school_id", "on_caseload", "last_contact_on")
ITU_COLUMNS = (
    "enrollment_id", "indicator", "program_id", "coach_id", "school_id", "teacher_id",
    "baseline_frequency", "baseline_proficiency", "latest_frequency", "latest_proficiency",
)  # fmt: skip


def _program_teachers(enrollments: QuerySet[Enrollment]) -> list[ProgramTeacher]:
    """The ProgramTeacher rows of these enrollments' programs and teachers (give all of a teacher's enrollments in a
    program): on a caseload while one of them has not ended, with the latest contact of those not ended (1 query).
    The rule of an active enrollment is coaching.models.active_enrollment; the program's end is read with it."""
    not_ended = Q(ends_on__isnull=True)
    rows = (
        enrollments.values("program_id", "teacher_id", school_id=F("teacher__school"))
        .annotate(not_ended=Count("pk", filter=not_ended), last_contact_on=Max("last_contact_on", filter=not_ended))
        .order_by()
    )
    return [
        ProgramTeacher(
            program_id=row["program_id"], teacher_id=row["teacher_id"], school_id=row["school_id"],
            on_caseload=row["not_ended"] > 0, last_contact_on=row["last_contact_on"],
        )
        for row in rows
    ]  # fmt: skip


CHALLENGE_COUNT_COLUMNS = ("program_id", "teacher_id", "school_id", "category", "status", "goal_id", "challenges")


def _challenge_counts(challenges: QuerySet[Challenge]) -> list[ChallengeCount]:
    """The ChallengeCount rows of these challenges (give all of a teacher's): per program and teacher, under the
    teacher's school, their number per category, status and goal (1 query)."""
    rows = (
        challenges.values(
            "category", "status", "goal_id", program_id=F("enrollment__program_id"),
            teacher_id=F("enrollment__teacher_id"), school_id=F("enrollment__teacher__school_id"),
        )
        .annotate(challenges=Count("pk"))
        .order_by()
    )  # fmt: skip
    return [ChallengeCount(**row) for row in rows]


def _write_changes(
    model: type[Model], columns: tuple[str, ...], key: int, old: QuerySet, new: list, before: set[tuple] | None = None
) -> set[tuple]:
    """Make `old` (rows of `model`) equal `new`: delete the rows whose key (the first `key` `columns`, unique)
    is gone, insert or update (one upsert) the rows that differ; returns the rows that differ, before and
    after (as tuples of `columns`). `before`: `old` as tuples of `columns`, when the caller has read them."""
    if before is None:
        before = set(old.values_list(*columns))
    after = {tuple(getattr(row, column) for column in columns) for row in new}
    _delete_keys(old, columns[:key], {row[:key] for row in before} - {row[:key] for row in after})
    if changed := [row for row in new if tuple(getattr(row, c) for c in columns) not in before]:
        model.objects.bulk_create(
            changed, update_conflicts=True, unique_fields=columns[:key], update_fields=columns[key:]
        )
    return before ^ after


def _delete_keys(rows: QuerySet, fields: tuple[str, ...], keys: set[tuple]) -> None:
    """Delete the `rows` whose `fields` equal one of `keys` (no query when there is none)."""
    if keys:
        doomed = Q()
        for key in keys:
            doomed |= Q(**dict(zip(fields, key, strict=True)))
        rows.filter(doomed).delete()


def _replace_changed(old: QuerySet, new: list[Model], columns: tuple[str, ...]) -> set[tuple]:
    """Make `old` equal `new` in a table with no unique key (CoachMonth, CoachStandardMonth): delete the old
    rows that `new` does not have as they are, insert the new rows that `old` does not have; no write when
    they are equal (logging an untagged step changes no coach's row). Returns the rows deleted and inserted, as
    tuples of `columns`."""
    after = {tuple(getattr(row, column) for column in columns): row for row in new}
    kept, doomed = set(), {}
    for pk, *values in old.values_list("pk", *columns):
        if (row := tuple(values)) in after and row not in kept:
            kept.add(row)
        else:
            doomed[pk] = row
    if doomed:
        old.model.objects.filter(pk__in=doomed).delete()
    if added := [row for values, row in after.items() if values not in kept]:
        old.model.objects.bulk_create(added)
    return set(doomed.values()) | (after.keys() - kept)


def _school_wide_months(keys: set[tuple[int, datetime.date]] | None = None) -> None:
    """Make SchoolWideMonth the sums of the CoachMonth rows of its kinds, at these (school, month) keys (None: at
    every one), writing only the rows that differ (`_write_changes`: 2 queries, and 1 more to delete the keys no
    work is left at)."""
    if keys == set():
        return
    rows = CoachMonth.objects.filter(kind__in=SchoolWideMonth.KINDS, school_id__isnull=False)
    kept = SchoolWideMonth.objects.all()
    if keys is not None:
        where = Q(*(Q(school_id=school_id, month=month) for school_id, month in keys), _connector=Q.OR)
        rows, kept = rows.filter(where), SchoolWideMonth.objects.filter(where)
    sums = rows.values("school_id", "month").annotate(count=Sum("count"), minutes=Sum("minutes")).order_by()
    new = [SchoolWideMonth(**row) for row in sums]
    _write_changes(SchoolWideMonth, SCHOOL_WIDE_COLUMNS, 2, kept, new)


def _coach_standard_years(
    coach_ids: Iterable[int] | None, years: set[int] | None = None, standard_ids: set[int] | None = None
) -> None:
    """Make CoachStandardYear the month masks of these coaches' CoachStandardMonth rows (None: every coach's), each
    under its enrollment's program (none: school-wide work); of `years` and `standard_ids` only, when given (2
    queries, and a delete and an insert where the masks differ)."""
    tagged, kept = CoachStandardMonth.objects.all(), CoachStandardYear.objects.all()
    if coach_ids is not None:
        tagged, kept = tagged.filter(coach__in=coach_ids), kept.filter(coach__in=coach_ids)
    if years is not None:
        tagged = tagged.filter(
            month__gte=datetime.date(min(years), 1, 1), month__lt=datetime.date(max(years) + 1, 1, 1)
        )
        kept = kept.filter(year__in=years)
    if standard_ids is not None:
        tagged, kept = tagged.filter(standard__in=standard_ids), kept.filter(standard__in=standard_ids)
    masks: dict[tuple, int] = defaultdict(int)
    for coach, program, standard, month in tagged.values_list(
        "coach_id", "enrollment__program_id", "standard_id", "month"
    ).iterator(chunk_size=5000):
        masks[(coach, program, standard, month.year)] |= 1 << (month.month - 1)
    new = [
        CoachStandardYear(coach_id=coach, program_id=program, standard_id=standard, year=year, months=bits)
        for (coach, program, standard, year), bits in masks.items()
        if years is None or year in years
    ]
    _replace_changed(kept, new, COACH_STANDARD_YEAR_COLUMNS)


# Where a rollup row's tuple (the columns above) holds its month, school and teacher.
MONTH_AT, SCHOOL_AT, TEACHER_AT = (MONTH_COLUMNS.index(c) for c in ("month", "school_id", "teacher_id"))
ITU_SCHOOL_AT = ITU_COLUMNS.index("school_id")
COACH_MONTH_COLUMNS = ("coach_id", "enrollment_id", "month", "kind", "school_id", "count", "minutes")
COACH_STANDARD_COLUMNS = ("coach_id", "enrollment_id", "month", "standard_id", "uses")
COACH_STANDARD_YEAR_COLUMNS = ("coach_id", "program_id", "standard_id", "year", "months")
SCHOOL_WIDE_COLUMNS = ("school_id", "month", "count", "minutes")
# Where a CoachMonth row's tuple holds its kind, school and month, and a CoachStandardMonth row's its coach,
# month and standard.
WORK_KIND_AT, WORK_SCHOOL_AT, WORK_MONTH_AT = (COACH_MONTH_COLUMNS.index(c) for c in ("kind", "school_id", "month"))
TAG_COACH_AT, TAG_MONTH_AT, TAG_STANDARD_AT = (
    COACH_STANDARD_COLUMNS.index(c) for c in ("coach_id", "month", "standard_id")
)


def rollup_refresh(
    *,
    enrollment_ids: set[int],
    coach_ids: set[int],
    days: set[datetime.date] | None = None,
    ratings: bool = True,
    activities: bool = True,
    tags: bool = True,
    challenges: bool = True,
) -> None:
    """Recompute the rollups of these enrollments (their ITU too unless `ratings` is False, their teachers'
    ChallengeCount rows unless `challenges` is False), and of these coaches' work on `days` (None: on every day):
    their activities unless `activities` is False, their standards tags unless `tags` is False; from their raw rows
    (config.rollups calls it).

    Runs in the caller's transaction. Only rows that differ are written, and level 2 (per school) is
    recomputed for the schools, months and teachers whose level-1 rows changed, as are the ProgramTeacher and
    ChallengeCount rows of their teachers (who is on a caseload, their last contact, their challenges), and
    SchoolWideMonth and CoachStandardYear where a coach's CoachMonth and CoachStandardMonth rows changed. An id
    whose rows are gone (erased) simply leaves no rollup. Logging an untagged step: 9 queries (3 of them writes),
    and one write more when it changes the days between its cycle's steps (EnrollmentCadence: a visit or a debrief
    done), one more when it moves the teacher's last contact.
    """
    if enrollment_ids:
        enrollments = Enrollment.objects.filter(pk__in=enrollment_ids)
        month_rows, cadence, cadence_before = _enrollment_months(enrollments)
        months = _write_changes(
            EnrollmentMonth, MONTH_COLUMNS, 2, EnrollmentMonth.objects.filter(enrollment__in=enrollment_ids), month_rows
        )
        _write_changes(
            EnrollmentCadence, CADENCE_COLUMNS, 1, EnrollmentCadence.objects.filter(enrollment__in=enrollment_ids),
            cadence, before=cadence_before,
        )  # fmt: skip
        itu = ratings and _write_changes(
            EnrollmentITU, ITU_COLUMNS, 2, EnrollmentITU.objects.filter(enrollment__in=enrollment_ids),
            _enrollment_itu(enrollments),
        )  # fmt: skip
        teachers = Enrollment.objects.filter(pk__in=enrollment_ids).values("teacher")
        _write_changes(
            ProgramTeacher, PROGRAM_TEACHER_COLUMNS, 2, ProgramTeacher.objects.filter(teacher__in=teachers),
            _program_teachers(Enrollment.objects.filter(teacher__in=teachers)),
        )  # fmt: skip
        if challenges:
            _replace_changed(
                ChallengeCount.objects.filter(teacher__in=teachers),
                _challenge_counts(Challenge.objects.filter(enrollment__teacher__in=teachers)),
                CHALLENGE_COUNT_COLUMNS,
            )
        _level_two(months)
        _school_itu({row[ITU_SCHOOL_AT] for row in itu or ()})
    # With `days`, the coaches' work that changed is that of these enrollments, or their own (no teacher's).
    months = None if days is None else {day.replace(day=1) for day in days}
    work = None if days is None else enrollment_ids
    if coach_ids and months != set():
        coaches = sorted(coach_ids)
        rows = Q(coach__in=coaches)
        if work is not None:
            rows &= Q(month__in=months) & (Q(enrollment__in=work) | Q(enrollment=None))
        if activities:
            changed = _replace_changed(
                CoachMonth.objects.filter(rows), _coach_months(coaches, months, work), COACH_MONTH_COLUMNS
            )
            _school_wide_months(
                {
                    (row[WORK_SCHOOL_AT], row[WORK_MONTH_AT])
                    for row in changed
                    if row[WORK_KIND_AT] in SchoolWideMonth.KINDS and row[WORK_SCHOOL_AT]
                }
            )
        if tags:
            tagged = _coach_standard_months(coaches, months, work)
            changed = _replace_changed(CoachStandardMonth.objects.filter(rows), tagged, COACH_STANDARD_COLUMNS)
            if days is None:  # every month: an erasure's rows went by cascade, unseen here
                _coach_standard_years(coaches)
            elif changed:
                _coach_standard_years(
                    {row[TAG_COACH_AT] for row in changed},
                    {row[TAG_MONTH_AT].year for row in changed},
                    {row[TAG_STANDARD_AT] for row in changed},
                )


LEVEL_ONE = ("program_id", "school_id", "teacher_id", "month", *EnrollmentMonth.FIGURES)
SCHOOL_MONTH_KEY, SCHOOL_MONTH_FIGURES = ("program_id", "school_id", "month"), (*EnrollmentMonth.FIGURES, "coached")
TEACHER_YEAR_KEY, TEACHER_YEAR_FIGURES = ("program_id", "teacher_id", "year"), ("school_id", *TeacherYear.MASKS)


def _level_two(changed: set[tuple]) -> None:
    """Recompute level 2 where these EnrollmentMonth rows (MONTH_COLUMNS tuples: the rows that differ, before
    and after a change) fall: the SchoolMonth rows of their schools' months and the TeacherYear rows of their
    teachers, from one read of EnrollmentMonth (3 queries).

    Upserted: a level-2 row exists exactly when level-1 rows add up to it, so the only rows to delete are
    those of the keys of `changed` that no level-1 row has any more (a fourth query then).
    """
    if not changed:
        return
    school_months = {(row[SCHOOL_AT], row[MONTH_AT]) for row in changed}
    teachers = {row[TEACHER_AT] for row in changed}
    where = Q(teacher_id__in=teachers)
    for school_id in {school_id for school_id, _ in school_months}:
        where |= Q(school_id=school_id, month__in=[month for s, month in school_months if s == school_id])
    rows = list(EnrollmentMonth.objects.filter(where).order_by("month").values(*LEVEL_ONE))
    sums = _school_month_rows([row for row in rows if (row["school_id"], row["month"]) in school_months])
    masks = _teacher_year_rows([row for row in rows if row["teacher_id"] in teachers])
    for model, unique, figures, new, touched in (
        (SchoolMonth, SCHOOL_MONTH_KEY, SCHOOL_MONTH_FIGURES, sums, {(r[2], r[4], r[1]) for r in changed}),
        (TeacherYear, TEACHER_YEAR_KEY, TEACHER_YEAR_FIGURES, masks, {(r[2], r[5], r[1].year) for r in changed}),
    ):
        _delete_keys(model.objects.all(), unique, touched - {tuple(getattr(row, f) for f in unique) for row in new})
        model.objects.bulk_create(new, update_conflicts=True, unique_fields=unique, update_fields=figures)


def _school_month_rows(rows: list[dict]) -> list[SchoolMonth]:
    """SchoolMonth rows summing these EnrollmentMonth rows (dicts of LEVEL_ONE) per program, school and month."""
    sums: dict[tuple, dict[str, int]] = {}
    coached: dict[tuple, set[int]] = {}
    for row in rows:
        key = (row["program_id"], row["school_id"], row["month"])
        cell = sums.setdefault(key, dict.fromkeys(EnrollmentMonth.FIGURES, 0))
        for figure in EnrollmentMonth.FIGURES:
            cell[figure] += row[figure]
        if row["step_minutes"] or row["reflection_minutes"] or row["touchpoint_minutes"]:
            coached.setdefault(key, set()).add(row["teacher_id"])
    return [
        SchoolMonth(**dict(zip(SCHOOL_MONTH_KEY, key, strict=True)), coached=len(coached.get(key, ())), **cell)
        for key, cell in sums.items()
    ]


def _teacher_year_rows(rows: list[dict]) -> list[TeacherYear]:
    """TeacherYear month masks of these EnrollmentMonth rows (dicts of LEVEL_ONE, in month order: the school of
    a teacher's latest month is theirs now)."""
    masks: dict[tuple, dict] = {}
    for row in rows:
        bit = 1 << (row["month"].month - 1)
        coached = row["step_minutes"] or row["reflection_minutes"] or row["touchpoint_minutes"]
        key = (row["program_id"], row["teacher_id"], row["month"].year)
        cell = masks.setdefault(key, dict.fromkeys(TeacherYear.MASKS, 0))
        cell["school_id"] = row["school_id"]
        for mask in TeacherYear.MASKS:
            if coached if mask == "coached" else row[mask]:
                cell[mask] |= bit
    return [
        TeacherYear(program_id=program_id, teacher_id=teacher_id, year=year, **cell)
        for (program_id, teacher_id, year), cell in masks.items()
    ]


def _school_itu(school_ids: set[int]) -> None:
    """Recompute the SchoolITU rows (per indicator, and the headline) of these schools from EnrollmentITU."""
    if not school_ids:
        return
    cells: dict[tuple, dict] = {}
    deltas: dict[tuple, int] = {}
    rows = EnrollmentITU.objects.filter(school_id__in=school_ids, latest_frequency__isnull=False).order_by()
    sums = ("baseline_frequency", "latest_frequency", "baseline_proficiency", "latest_proficiency")
    for row in rows.values("program_id", "school_id", "teacher_id", "indicator", *sums):
        delta = row["latest_frequency"] + row["latest_proficiency"] - row["baseline_frequency"]
        delta -= row["baseline_proficiency"]
        empty = {"teachers": set(), "ratings": 0, **dict.fromkeys(sums, 0)}
        cell = cells.setdefault((row["program_id"], row["school_id"], row["indicator"]), empty)
        cell["teachers"].add(row["teacher_id"])
        cell["ratings"] += 1
        for column in sums:
            cell[column] += row[column]
        key = (row["program_id"], row["school_id"], row["teacher_id"])
        deltas[key] = deltas.get(key, 0) + delta
    headlines: dict[tuple, dict] = {}
    for (program_id, school_id, _), delta in deltas.items():
        cell = headlines.setdefault((program_id, school_id, SchoolITU.HEADLINE), {"teachers": 0, "rose": 0})
        cell["teachers"] += 1
        cell["rose"] += delta > 0
    SchoolITU.objects.filter(school_id__in=school_ids).delete()
    SchoolITU.objects.bulk_create(
        [
            SchoolITU(
                program_id=program_id, school_id=school_id, indicator=indicator, teachers=len(cell.pop("teachers")),
                **cell,
            )
            for (program_id, school_id, indicator), cell in cells.items()
        ]
        + [SchoolITU(program_id=p, school_id=s, indicator=i, **cell) for (p, s, i), cell in headlines.items()]
    )  # fmt: skip


def school_rollups_refresh(school_ids: set[int]) -> None:
    """Recompute level 2 of these schools whole (after an erasure, whose CASCADE left no level-1 rows to
    compare): every month, and the ITU."""
    SchoolMonth.objects.filter(school_id__in=school_ids).delete()
    rows = EnrollmentMonth.objects.filter(school_id__in=school_ids).values(*LEVEL_ONE).order_by()
    SchoolMonth.objects.bulk_create(_school_month_rows(rows), batch_size=5000)
    _school_itu(school_ids)


@transaction.atomic
def rollup_rebuild(*, batch: int = 2000) -> dict[str, int]:
    """Throw the read model away and compute it again from every raw row; returns the rows written per table.

    Enrollments are processed `batch` at a time, so memory stays flat at district scale.
    """
    models = (
        EnrollmentMonth, EnrollmentCadence, EnrollmentITU, CoachMonth, CoachStandardMonth, SchoolMonth, TeacherYear,
        SchoolITU, ProgramTeacher, ChallengeCount, SchoolWideMonth, CoachStandardYear,
    )  # fmt: skip
    for model in models:
        model.objects.all().delete()
    ids = list(Enrollment.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = Enrollment.objects.filter(pk__in=ids[start : start + batch])
        months, cadence, _ = _enrollment_months(chunk)
        EnrollmentMonth.objects.bulk_create(months, batch_size=5000)
        EnrollmentCadence.objects.bulk_create(cadence, batch_size=5000)
        EnrollmentITU.objects.bulk_create(_enrollment_itu(chunk), batch_size=5000)
    ProgramTeacher.objects.bulk_create(_program_teachers(Enrollment.objects.all()), batch_size=5000)
    ChallengeCount.objects.bulk_create(_challenge_counts(Challenge.objects.all()), batch_size=5000)
    CoachMonth.objects.bulk_create(_coach_months(None), batch_size=5000)
    _school_wide_months()
    CoachStandardMonth.objects.bulk_create(_coach_standard_months(None), batch_size=5000)
    _coach_standard_years(None)
    school_ids = set(EnrollmentMonth.objects.values_list("school_id", flat=True).distinct())
    school_rollups_refresh(school_ids | set(EnrollmentITU.objects.values_list("school_id", flat=True).distinct()))
    teachers = list(EnrollmentMonth.objects.order_by("teacher_id").values_list("teacher_id", flat=True).distinct())
    for start in range(0, len(teachers), batch):
        rows = EnrollmentMonth.objects.filter(teacher_id__in=teachers[start : start + batch]).order_by("month")
        TeacherYear.objects.bulk_create(_teacher_year_rows(rows.values(*LEVEL_ONE)), batch_size=5000)
    return {model.__name__: model.objects.count() for model in models}


# --- dashboard exports ----------------------------------------------------------------------------


def dashboard_csv(sections: list[tuple[str, list[str], list[list[object]]]]) -> str:
    """One CSV text of a dashboard's tables: each section a title line, a header and its rows, then a blank
    line. Figures go out as the page shows them ("fewer than 5"), numbers without thousands separators (a
    spreadsheet reads "1,234" as text), through Cadence's one CSV writer."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    for title, header, rows in sections:
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows([[_cell(value) for value in row] for row in rows])
        writer.writerow([])
    return buffer.getvalue()


def _cell(value) -> str:
    if isinstance(value, selectors.Figure) and not value.suppressed:
        value = value.value
    return "" if value is None else str(value)


@transaction.atomic
def dashboard_exported(*, actor: User, district: District, what: str) -> None:
    """Every export is written to the audit log (DESIGN.md, "Confidentiality and access")."""
    audit.record(district=district, actor=actor, action=Action.EXPORT, summary=f"Exported {what} as CSV")


# --- the coach's self-assessment ---------------------------------------------------------------------


def after_today(today: datetime.date) -> str:
    """The refusal of a self-assessment dated after `today` (the district's date)."""
    return f"A self-assessment cannot be dated after today ({today.day} {today:%B %Y})."


@transaction.atomic
def self_assessment_save(
    *,
    actor: User,
    assessed_on: datetime.date,
    ratings: dict[int, tuple[int, str]],
    shared_with_district: bool = False,
) -> SelfAssessment:
    """A self-assessment of `actor` (a coach): {standard id: (rating 1–4, evidence)} for all 18 standards.

    Raises ValidationError when a standard is missing, a rating is out of range or `assessed_on` is after
    today in the coach's district (on `assessed_on`); repeatable through the year (each is kept, so the growth
    page shows ratings over time).
    """
    if actor.membership.role != Role.COACH:
        raise ValidationError("Self-assessments are a coach's.")
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(actor.membership.district.timezone))
    if assessed_on > today:
        raise ValidationError({"assessed_on": after_today(today)})
    standards = set(Standard.objects.values_list("pk", flat=True))
    if set(ratings) != standards:
        raise ValidationError("Rate every one of the 18 standards.")
    if any(not 1 <= rating <= 4 for rating, _ in ratings.values()):
        raise ValidationError("Ratings go from 1 to 4.")
    assessment = SelfAssessment(coach=actor, assessed_on=assessed_on, shared_with_district=shared_with_district)
    assessment.full_clean()
    assessment.save()
    SelfAssessmentRating.objects.bulk_create(
        SelfAssessmentRating(assessment=assessment, standard_id=pk, rating=rating, evidence=evidence)
        for pk, (rating, evidence) in ratings.items()
    )
    return assessment


@transaction.atomic
def self_assessment_share(*, actor: User, assessment: SelfAssessment, shared: bool) -> SelfAssessment:
    """Share one of the coach's own self-assessments with the district admin, or stop sharing it."""
    if assessment.coach_id != actor.pk:
        raise ValidationError("Only the coach who wrote a self-assessment can share it.")
    assessment.shared_with_district = shared
    assessment.save(update_fields=["shared_with_district"])
    return assessment


# --- export all district data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an export file: the ORM path it reads, the heading people see, and what it means."""

    path: str
    heading: str
    meaning: str


@dataclass(frozen=True)
class Table:
    """One CSV file (and one sheet of the workbook) of the export: a model's rows of the district.

    A through table (no `reach` of its own) names with `via` the field to the model whose district it shares.
    """

    filename: str
    model: type[Model]
    meaning: str
    columns: tuple[Column, ...]
    via: str = ""

    @property
    def headings(self) -> list[str]:
        return [column.heading for column in self.columns]

    @property
    def sheet(self) -> str:
        """The workbook sheet's name (at most 31 characters, Excel's limit)."""
        return self.filename.removesuffix(".csv")[:31]

    def rows(self, district: District) -> QuerySet:
        return scoping.district_rows(district, self.model, via=self.via)


def _c(path: str, heading: str, meaning: str) -> Column:
    return Column(path, heading, meaning)


ID = "Cadence's number for this row; other files refer to it."


def _ref(path: str, heading: str, file: str) -> Column:
    return Column(path, heading, f"The ID of a row of {file}.")


# Everything of a district, one file per table; foreign keys are exported as IDs so the files join.
# Passwords, invitation token hashes and uploaded roster files are not data a district gets back.
# fmt: off
TABLES = (
    Table("schools.csv", School, "The district's schools.", (
        _c("id", "School ID", ID), _c("name", "Name", "The school's name."),
        _c("sourced_id", "OneRoster sourcedId", "The school's id in the district's roster (SIS), if imported."))),
    Table("users.csv", Membership, "Everyone who can sign in: coaches, principals, district admins.", (
        _c("user_id", "User ID", ID), _c("user__email", "E-mail", "The address they sign in with."),
        _c("user__full_name", "Full name", "Their name."), _c("role", "Role", "What they do in Cadence."),
        _c("user__is_active", "Active", "False when a district admin deactivated them: they cannot sign in."),
        _c("user__date_joined", "Joined at", "When their account was created."))),
    Table("user_schools.csv", Membership.schools.through, "The schools each principal or coach works at.", (
        _ref("membership__user_id", "User ID", "users.csv"), _ref("school_id", "School ID", "schools.csv")),
        via="membership"),
    Table("invitations.csv", Invitation, "Invitations to join Cadence, accepted or not.", (
        _c("id", "Invitation ID", ID), _c("email", "E-mail", "The invited address."),
        _c("full_name", "Full name", "The invited person's name."), _c("role", "Role", "The role offered."),
        _ref("invited_by_id", "Invited by (user ID)", "users.csv"),
        _c("created_at", "Sent at", "When the invitation was sent."),
        _c("expires_at", "Expires at", "When the link stops working."),
        _c("accepted_at", "Accepted at", "When it was accepted; empty while pending."))),
    Table("roster_imports.csv", RosterImport, "Roster files the district imported, with their outcome.", (
        _c("id", "Import ID", ID), _ref("uploaded_by_id", "Uploaded by (user ID)", "users.csv"),
        _c("kind", "Kind", "The file format."), _c("filename", "File name", "The uploaded file's name."),
        _c("status", "Status", "How the import ended."),
        _c("counts", "Counts", "What the import created, updated and ended (JSON)."),
        _c("errors", "Errors", "Why a rejected import was refused, row by row (JSON)."),
        _c("created_at", "Uploaded at", "When the file was uploaded."),
        _c("finished_at", "Finished at", "When the import ended."))),
    Table("programs.csv", Program, "Coaching programs (a school year of coaching).", (
        _c("id", "Program ID", ID), _c("name", "Name", "The program's name."),
        _c("starts_on", "Starts on", "First day."), _c("ends_on", "Ends on", "Last day."))),
    Table("program_schools.csv", Program.schools.through, "The schools in each program.", (
        _ref("program_id", "Program ID", "programs.csv"), _ref("school_id", "School ID", "schools.csv")),
        via="program"),
    Table("program_coaches.csv", Program.coaches.through, "The coaches in each program.", (
        _ref("program_id", "Program ID", "programs.csv"), _ref("user_id", "Coach (user ID)", "users.csv")),
        via="program"),
    Table("goals.csv", Goal, "District and school goals that challenges align to (standard 3B).", (
        _c("id", "Goal ID", ID), _ref("school_id", "School ID", "schools.csv (empty: a district goal)"),
        _c("title", "Title", "The goal."))),
    Table("teachers.csv", Teacher, "Teachers (records, not logins).", (
        _c("id", "Teacher ID", ID), _ref("school_id", "School ID", "schools.csv"),
        _c("name", "Name", "The teacher's name."), _c("email", "E-mail", "The teacher's address."),
        _c("subject", "Subject", "What they teach."), _c("grade_band", "Grade band", "The grades they teach."),
        _c("sourced_id", "OneRoster sourcedId", "The teacher's id in the district's roster, if imported."))),
    Table("enrollments.csv", Enrollment, "Caseloads: a teacher coached by a coach in a program.", (
        _c("id", "Enrollment ID", ID), _ref("program_id", "Program ID", "programs.csv"),
        _ref("coach_id", "Coach (user ID)", "users.csv"), _ref("teacher_id", "Teacher ID", "teachers.csv"),
        _c("starts_on", "Starts on", "First day on the caseload."),
        _c("ends_on", "Ends on", "Last day on the caseload; empty while active."),
        _c("last_contact_on", "Last contact on", "The last day the coach met or saw the teacher."))),
    Table("tools.csv", Tool, "The district library's technology tools.", (
        _c("id", "Tool ID", ID), _c("name", "Name", "The tool's name."),
        _c("description", "Description", "What it is."), _c("url", "Web address", "Where to find it."),
        _c("retired_at", "Retired at", "When it was taken out of the library; empty while offered."))),
    Table("strategies.csv", Strategy, "The district library's teaching strategies.", (
        _c("id", "Strategy ID", ID), _c("title", "Title", "The strategy."),
        _c("description", "Description", "How it works."), _c("category", "Category", "The kind of challenge."),
        _c("itu_indicator", "ITU indicator", "The impactful technology use indicator it serves."),
        _c("subject", "Subject", "The subject it suits."), _c("grade_band", "Grade band", "The grades it suits."),
        _ref("created_by_id", "Created by (user ID)", "users.csv"),
        _c("retired_at", "Retired at", "When it was taken out of the library; empty while offered."))),
    Table("strategy_tools.csv", Strategy.tools.through, "The tools each strategy uses.", (
        _ref("strategy_id", "Strategy ID", "strategies.csv"), _ref("tool_id", "Tool ID", "tools.csv")),
        via="strategy"),
    Table("challenges.csv", Challenge, "Teachers' challenges: the coaching cycle's subject. Confidential.", (
        _c("id", "Challenge ID", ID), _ref("enrollment_id", "Enrollment ID", "enrollments.csv"),
        _c("problems", "Problems of practice", "The brainstormed list (JSON)."),
        _c("title", "Title", "The chosen challenge."),
        _c("improvement", "What to improve", "What the teacher wants to improve: the focus statement's goal."),
        _c("category", "Category", "Instructional or growth."),
        _c("root_cause_notes", "Root cause notes", "The coach's notes on the cause (1B)."),
        _ref("goal_id", "Goal ID", "goals.csv"), _c("status", "Status", "The step of the cycle it is at."),
        _ref("strategy_id", "Strategy ID", "strategies.csv"),
        _c("outcome", "Outcome", "How it closed; empty while open."),
        _c("opened_on", "Opened on", "The day it began."), _c("closed_on", "Closed on", "The day it closed."))),
    Table("challenge_tools.csv", Challenge.tools.through, "The tools selected for each challenge.", (
        _ref("challenge_id", "Challenge ID", "challenges.csv"), _ref("tool_id", "Tool ID", "tools.csv")),
        via="challenge"),
    *(Table(f"challenge_{field}.csv", getattr(Challenge, field).through,
            f"Standards tagged on each challenge's {field.split('_')[0]} step.", (
                _ref("challenge_id", "Challenge ID", "challenges.csv"),
                _c("standard__code", "Standard", "A Coach Success Standard's code (1A-4B).")),
            via="challenge")
      for field in ("identify_standards", "investigate_standards", "select_standards")),
    Table("candidates.csv", StrategyCandidate, "Strategies investigated for a challenge (step 2).", (
        _c("id", "Candidate ID", ID), _ref("challenge_id", "Challenge ID", "challenges.csv"),
        _ref("strategy_id", "Strategy ID", "strategies.csv"), _c("source", "Source", "Where it came from."),
        _c("notes", "Notes", "The coach's notes. Confidential."))),
    Table("cycles.csv", Cycle, "Meet-visit-meet cycles of a challenge.", (
        _c("id", "Cycle ID", ID), _ref("challenge_id", "Challenge ID", "challenges.csv"),
        _c("number", "Number", "1 for the first cycle of the challenge, and so on."),
        _ref("strategy_id", "Strategy ID", "strategies.csv"),
        _c("completed_on", "Completed on", "The day the debrief closed it."))),
    Table("steps.csv", Step, "Planning meetings, classroom visits and debriefs. Confidential.", (
        _c("id", "Step ID", ID), _ref("cycle_id", "Cycle ID", "cycles.csv"), _c("kind", "Kind", "Which step."),
        _c("starts_at", "Starts at", "When it is (or was) held."), _c("minutes", "Minutes", "How long."),
        _c("done", "Done", "True once held; False while scheduled."),
        _c("visit_mode", "Visit mode", "For a visit: co-teach, model or observe."),
        _c("notes", "Notes", "The coach's notes."), _c("data_collected", "Data collected", "During a visit."),
        _c("next_steps", "Next steps", "Agreed next steps."),
        _c("invite_teacher", "Teacher invited", "Whether the teacher got a calendar invitation."))),
    Table("step_standards.csv", Step.standards.through, "Standards tagged on each step.", (
        _ref("step_id", "Step ID", "steps.csv"),
        _c("standard__code", "Standard", "A Coach Success Standard's code (1A-4B).")), via="step"),
    Table("reflections.csv", Reflection, "The reflection that ends a challenge (step 5). Confidential.", (
        _c("id", "Reflection ID", ID), _ref("challenge_id", "Challenge ID", "challenges.csv"),
        _c("held_on", "Held on", "The day."), _c("minutes", "Minutes", "How long."),
        _c("notes", "Notes", "The coach's notes."), _c("decision", "Decision", "What happens next."))),
    Table("reflection_standards.csv", Reflection.standards.through, "Standards tagged on each reflection.", (
        _ref("reflection_id", "Reflection ID", "reflections.csv"),
        _c("standard__code", "Standard", "A Coach Success Standard's code (1A-4B).")), via="reflection"),
    Table("itu_ratings.csv", ITURating, "Impactful technology use ratings of a teacher.", (
        _c("id", "Rating ID", ID), _ref("enrollment_id", "Enrollment ID", "enrollments.csv"),
        _c("phase", "Phase", "Baseline, mid or end."), _c("rated_on", "Rated on", "The day."))),
    Table("itu_scores.csv", ITUScore, "One indicator's scores within an ITU rating.", (
        _c("id", "Score ID", ID), _ref("rating_id", "Rating ID", "itu_ratings.csv"),
        _c("indicator", "Indicator", "The ITU indicator."),
        _c("frequency", "Frequency", "1 almost never ... 5 almost daily."),
        _c("proficiency", "Proficiency", "1 not at all ... 5 to a very large extent."))),
    Table("activities.csv", Activity, "Coaches' other work: meetings, PLCs, PD, touchpoints.", (
        _c("id", "Activity ID", ID), _ref("coach_id", "Coach (user ID)", "users.csv"),
        _c("kind", "Kind", "What kind of work."), _ref("school_id", "School ID", "schools.csv"),
        _ref("enrollment_id", "Enrollment ID", "enrollments.csv (a touchpoint with a teacher)"),
        _c("channel", "Channel", "How a touchpoint happened."), _c("held_on", "Held on", "The day."),
        _c("minutes", "Minutes", "How long."), _c("notes", "Notes", "The coach's notes."))),
    Table("activity_standards.csv", Activity.standards.through, "Standards tagged on each activity.", (
        _ref("activity_id", "Activity ID", "activities.csv"),
        _c("standard__code", "Standard", "A Coach Success Standard's code (1A-4B).")), via="activity"),
    Table("impact_stories.csv", ImpactStory, "Stories of impact, shared as the teacher agreed.", (
        _c("id", "Story ID", ID), _ref("coach_id", "Coach (user ID)", "users.csv"),
        _ref("enrollment_id", "Enrollment ID", "enrollments.csv"), _c("title", "Title", "The story's title."),
        _c("story", "Story", "The story."), _c("told_on", "Told on", "The day."),
        _c("share_with_principal", "Shared with principal", "The teacher agreed the principal may read it."),
        _c("share_with_district", "Shared with district", "The teacher agreed district leaders may read it."))),
    Table("self_assessments.csv", SelfAssessment, "Coaches' self-assessments against the standards.", (
        _c("id", "Self-assessment ID", ID), _ref("coach_id", "Coach (user ID)", "users.csv"),
        _c("assessed_on", "Assessed on", "The day."), _c("created_at", "Saved at", "When it was saved."),
        _c("shared_with_district", "Shared with district", "The coach shared it with the district admin.")),
        via="coach"),
    Table("self_assessment_ratings.csv", SelfAssessmentRating, "One standard's rating within a self-assessment.", (
        _c("id", "Rating ID", ID), _ref("assessment_id", "Self-assessment ID", "self_assessments.csv"),
        _c("standard__code", "Standard", "A Coach Success Standard's code (1A-4B)."),
        _c("rating", "Rating", "1 (beginning) to 4.")), via="assessment__coach"),
    Table("audit_log.csv", AuditEvent, "Who did what to the district's data: exports, erasures, roles, imports.", (
        _c("id", "Event ID", ID), _c("created_at", "At", "When it happened."),
        _ref("actor_id", "By (user ID)", "users.csv"), _c("action", "Action", "What was done."),
        _c("summary", "Summary", "In words."), _c("details", "Details", "Ids and counts (JSON)."))),
)
# fmt: on
DICTIONARY = "data_dictionary.csv"
WORKBOOK = "cadence_export.xlsx"


def _field(model: type[Model], path: str):
    """The model field at the end of an ORM path (None when the path ends at a related object's id)."""
    for name in path.split("__")[:-1]:
        model = model._meta.get_field(name).related_model
    try:
        return model._meta.get_field(path.split("__")[-1])
    except FieldDoesNotExist:
        return None


def _values_note(field) -> str:
    if field is not None and field.choices:
        return " Values: " + "; ".join(f"{value} = {label}" for value, label in field.choices) + "."
    return ""


def dictionary_rows(district: District) -> list[tuple[str, str, str, str]]:
    """The data dictionary: (file, column, meaning) rows, each file's row first with column empty.

    Coded columns list their values (from the model's choices); time columns say their time zone.
    """
    rows = [
        (DICTIONARY, "", "This file: every file of the export, every column, and what it means."),
        (WORKBOOK, "", "The same tables as the CSV files, one sheet each (a sheet name is the file's name)."),
    ]
    for table in TABLES:
        rows.append((table.filename, "", table.meaning))
        for column in table.columns:
            field = _field(table.model, column.path)
            meaning = column.meaning + _values_note(field)
            if isinstance(field, models.DateTimeField):
                meaning += f" Local time in {district.timezone}, to the second."
            rows.append((table.filename, column.heading, meaning))
    return rows


def _local(zone: zoneinfo.ZoneInfo):
    """Turn each row's aware datetimes into the district's local time, to the second (no time zone suffix)."""

    def convert(row: tuple) -> tuple:
        return tuple(
            value.astimezone(zone).replace(microsecond=0, tzinfo=None) if isinstance(value, datetime.datetime)
            else value
            for value in row
        )  # fmt: skip

    return convert


def _table_rows(table: Table, district: District):
    zone = zoneinfo.ZoneInfo(district.timezone)
    rows = table.rows(district).order_by("pk").values_list(*(c.path for c in table.columns))
    return map(_local(zone), rows.iterator(chunk_size=2000))


def _open_entry(archive: zipfile.ZipFile, name: str, when: datetime.datetime):
    entry = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    return archive.open(entry, "w")


def _write_csv(archive: zipfile.ZipFile, name: str, when: datetime.datetime, headings, rows) -> None:
    """Stream one CSV file into the archive, a chunk of rows at a time."""
    with _open_entry(archive, name, when) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        # Cadence's one CSV writer: the admin opens these in Excel, where a coach's "=…" must not run.
        writer = csv_writer(text)
        writer.writerow(headings)
        writer.writerows(rows)


def export_archive(*, district: District) -> bytes:
    """A zip with everything the district has in Cadence, for people to read.

    One CSV file per table (human column headings, times in the district's time zone to the second),
    data_dictionary.csv (each file and column and its meaning) and cadence_export.xlsx (the same tables,
    one sheet each, plus the dictionary). Every text cell is formula-neutralised (config.spreadsheets).
    """
    buffer, now = io.BytesIO(), timezone.localtime(timezone=zoneinfo.ZoneInfo(district.timezone))
    dictionary = dictionary_rows(district)
    workbook = xlsx_writer()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write_csv(archive, DICTIONARY, now, ("File", "Column", "Meaning"), dictionary)
        workbook.add_sheet("data_dictionary", ("File", "Column", "Meaning"), dictionary)
        for table in TABLES:
            _write_csv(archive, table.filename, now, table.headings, _table_rows(table, district))
            workbook.add_sheet(table.sheet, table.headings, _table_rows(table, district))
        with _open_entry(archive, WORKBOOK, now) as raw:
            workbook.save(raw)
    return buffer.getvalue()


def _consistent_snapshot() -> None:
    """Make every query of the transaction just begun see the same moment of the database.

    PostgreSQL's default (READ COMMITTED) gives each query its own snapshot, so a step logged while
    the export runs could appear in steps.csv without its cycle in cycles.csv.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


REQUESTED = {
    DataExport.Kind.ARCHIVE: "Requested an export of all district data",
    DataExport.Kind.DISTRICT_CSV: "Requested the district dashboard as CSV",
}


@transaction.atomic
def export_request(
    *, actor: User, district: District, kind: str = DataExport.Kind.ARCHIVE, filters: dict | None = None
) -> DataExport:
    """Ask for an export: audited now (an export reads every confidential record), built by a task.

    `kind` ARCHIVE: all the district's data; DISTRICT_CSV: the district dashboard's CSV with `filters`
    (dashboard.exports.filters_json), as large ones are (exports.is_large).
    Never refused because another export is still pending: a stuck export must not block the next
    one (the sweeper fails it), and a double click is caught by the form's submission key.
    """
    export = DataExport.objects.create(district=district, requested_by=actor, kind=kind, filters=filters or {})
    audit.record(district=district, actor=actor, action=Action.EXPORT, summary=REQUESTED[kind], export_id=export.pk)
    enqueue("dashboard.tasks.build_export", export.pk)  # built once this transaction commits
    return export


def export_save(*, export: DataExport, content: bytes | None = None, error: str = "") -> DataExport:
    """Keep a built archive (or the reason it failed) on an export that is still pending.

    Only while pending: an erasure that committed while the archive was being built withdrew the
    export (teacher_erase), and the archive, read before the erasure, may hold the erased teacher.
    The conditional UPDATE re-checks the status under the row's lock, so the two cannot cross.
    """
    values = {"content": content, "error": error, "finished_at": timezone.now()}
    values["status"] = DataExport.Status.FAILED if error else DataExport.Status.READY
    if not error:
        values["progress"] = 100
    DataExport.objects.filter(pk=export.pk, status=DataExport.Status.PENDING).update(**values)
    export.refresh_from_db()
    return export


def _archive(export: DataExport) -> bytes:
    fresh = not connection.in_atomic_block  # a worker: this atomic block begins the transaction
    with transaction.atomic():
        if fresh:
            _consistent_snapshot()
        return export_archive(district=export.district)


NOT_AN_ADMIN = "The CSV was not built: whoever asked for it is no longer a district admin here."


def _district_csv(export: DataExport) -> bytes:
    """The district dashboard's CSV for its requester, exactly as the dashboard builds it in a request
    (exports.district_sections), in the district's time zone, saving the progress as it goes.

    Not in one transaction: each progress update commits at once, for the progress page to see it.
    ValidationError when the requester is no longer an active district admin of the district.
    """
    membership = scoping.district_admin(export.requested_by_id, export.district)
    if membership is None:
        raise ValidationError(NOT_AN_ADMIN)
    pending = DataExport.objects.filter(pk=export.pk, status=DataExport.Status.PENDING)

    def progress(done: int, total: int) -> None:
        pending.update(progress=min(99, 100 * done // total))  # 100 once saved

    with timezone.override(zoneinfo.ZoneInfo(export.district.timezone)):
        filters = exports.filters_from_json(membership, export.filters)
        sections = exports.district_sections(membership, **filters, on_progress=progress)
    return dashboard_csv(sections).encode()


BUILDERS = {DataExport.Kind.ARCHIVE: _archive, DataExport.Kind.DISTRICT_CSV: _district_csv}


def export_build(*, export_id: int) -> DataExport | None:
    """Build the file of a pending export (its `kind`), once, whatever happens to workers and the database.

    Returns the export as it ended, or None when another worker is building it (a duplicate
    delivery). Raises the transient errors (config.jobs.TRANSIENT_ERRORS) for the task to retry;
    any other failure (or a refusal: a CSV's requester no longer a district admin) is kept on the export
    for the admin to see. An export started MAX_STARTS times without finishing (its worker killed each
    time) is failed instead of built again.
    """
    with job_lock(LOCK, export_id) as mine:
        if not mine:
            return None
        export = DataExport.objects.select_related("district").filter(pk=export_id).first()
        if export is None or export.status != DataExport.Status.PENDING:
            return export  # gone with its district, or a retried or duplicated task: the work is done
        if export.attempts >= MAX_STARTS:
            return export_save(export=export, error=f"The export was interrupted {export.attempts} times. Ask again.")
        DataExport.objects.filter(pk=export.pk).update(attempts=F("attempts") + 1)
        try:
            content = BUILDERS[export.kind](export)
        except TRANSIENT_ERRORS:
            raise
        except ValidationError as refusal:
            return export_save(export=export, error=" ".join(refusal.messages))
        except Exception as error:
            logger.exception("Export %s failed", export_id)
            return export_save(export=export, error=f"The export could not be built ({type(error).__name__}).")
        return export_save(export=export, content=content)


def export_give_up(*, export_id: int, reason: str) -> DataExport | None:
    """Fail an export whose task ran out of retries; `reason` completes "The export stopped: …"."""
    with job_lock(LOCK, export_id) as mine:
        export = DataExport.objects.filter(pk=export_id, status=DataExport.Status.PENDING).first()
        if not mine or export is None:
            return None
        return export_save(export=export, error=f"The export stopped: {reason}. Ask again.")


def exports_sweep(*, now: datetime.datetime | None = None) -> int:
    """Fail every export still pending JOB_DEADLINE_SECONDS after it was requested that no worker is building.

    Run every minute by Celery beat (dashboard.tasks.sweep_exports); returns how many it failed.
    """
    deadline = job_deadline_seconds()
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=deadline)
    stale = DataExport.objects.filter(status=DataExport.Status.PENDING, created_at__lt=cutoff)
    reason = f"The export was not ready within {round(deadline / 60)} minutes. Ask again."
    swept = 0
    for pk in list(stale.values_list("pk", flat=True)):
        with job_lock(LOCK, pk) as mine:
            export = DataExport.objects.filter(pk=pk, status=DataExport.Status.PENDING).first()
            if mine and export:
                export_save(export=export, error=reason)
                swept += 1
    return swept


DOWNLOADED = {DataExport.Kind.ARCHIVE: "the export", DataExport.Kind.DISTRICT_CSV: "the district dashboard CSV"}


@transaction.atomic
def export_downloaded(*, actor: User, export: DataExport) -> None:
    when = f"{timezone.localtime(export.created_at):%Y-%m-%d %H:%M}"
    audit.record(
        district=export.district,
        actor=actor,
        action=Action.EXPORT,
        summary=f"Downloaded {DOWNLOADED[export.kind]} of {when}",
        export_id=export.pk,
    )


# --- erase a teacher ------------------------------------------------------------------------------


def _matches(confirmation: str, name: str) -> bool:
    return " ".join(confirmation.split()).casefold() == " ".join(name.split()).casefold()


ERASED_ROW = "This row named a teacher who has since been erased."
ERASED = "[erased teacher]"
EXPORT_WITHDRAWN = "A teacher was erased after this export was prepared: request a new export."


def _mentions(teacher: Teacher) -> re.Pattern:
    """What identifies the teacher in free text: their name, e-mail and sourcedId, in any case."""
    needles = [value.strip() for value in (teacher.name, teacher.email, teacher.sourced_id) if len(value.strip()) >= 3]
    if not needles:  # a name of one or two letters would match everywhere: match nothing rather
        return re.compile(r"(?!)")
    return re.compile("|".join(re.escape(needle) for needle in needles), re.IGNORECASE)


def _withdraw_exports(district: District) -> int:
    """Withdraw every export of the district that holds (or will hold) data read before now."""
    built = scoping.district_rows(district, DataExport).filter(
        status__in=[DataExport.Status.READY, DataExport.Status.PENDING]
    )
    return built.update(status=DataExport.Status.WITHDRAWN, content=None, error=EXPORT_WITHDRAWN)


def _unnamed(value, mentions: re.Pattern):
    """`value` (text, or a structure of lists and dicts holding text) with every mention of the teacher
    replaced by ERASED."""
    if isinstance(value, str):
        return mentions.sub(ERASED, value)
    if isinstance(value, list):
        return [_unnamed(item, mentions) for item in value]
    if isinstance(value, dict):
        return {key: _unnamed(item, mentions) for key, item in value.items()}
    return value


def _scrub_roster_imports(district: District, mentions: re.Pattern) -> int:
    """Empty the uploads of finished imports, replace the error rows that name the teacher, and take their
    name out of the results (the teachers who left); returns how many imports changed.

    An import that is still waiting or running keeps its upload (it needs it); it empties it when it
    finishes (districts.roster.services), and would add the teacher again if the file lists them.
    """
    finished = scoping.district_rows(district, RosterImport).filter(finished_at__isnull=False)
    changed = 0
    for roster_import in finished.only("pk", "filename", "errors", "counts"):
        errors = [
            {**error, "message": ERASED_ROW} if mentions.search(error.get("message", "")) else error
            for error in roster_import.errors
        ]
        scrubbed = {
            "errors": errors,
            "filename": mentions.sub(ERASED, roster_import.filename),
            "counts": _unnamed(roster_import.counts, mentions),
        }
        if any(getattr(roster_import, name) != value for name, value in scrubbed.items()):
            RosterImport.objects.filter(pk=roster_import.pk).update(**scrubbed)
            changed += 1
    finished.exclude(payload=b"").update(payload=b"")
    return changed


def _scrub_logs(district: District, teacher: Teacher, mentions: re.Pattern) -> None:
    """Take the teacher out of the Django admin's log (the operator's edits of the record) and out of any
    line of the district's audit log that names them (a roster file named after them)."""
    enrollments = [str(pk) for pk in teacher.enrollments.values_list("pk", flat=True)]
    LogEntry.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(Teacher), object_id=str(teacher.pk))
        | Q(content_type=ContentType.objects.get_for_model(Enrollment), object_id__in=enrollments)
    ).delete()
    for event in scoping.district_rows(district, AuditEvent).only("pk", "summary", "details").iterator():
        summary, details = mentions.sub(ERASED, event.summary), _unnamed(event.details, mentions)
        if (summary, details) != (event.summary, event.details):
            event.summary, event.details = summary, details
            event.save(update_fields=["summary", "details"])


@transaction.atomic
def teacher_erase(*, actor: User, teacher: Teacher, confirmation: str) -> dict[str, int]:
    """Delete a teacher and every record about them, in every table and stored artefact; returns what was
    deleted (selectors.erasure_counts).

    Scheduled steps are cancelled in the calendars they were sent to (coaching.invitations).
    Deleting the Teacher cascades through its enrollments to challenges (candidates, cycles, steps,
    reflections), ITU ratings and scores, touchpoints and impact stories, and the through tables of
    their standards and tools. The copies go too, in the same transaction:

    - the district's exports, built or being built, are withdrawn (their archives deleted): the admin
      requests a new one;
    - roster uploads: finished imports' files are emptied (they are already emptied when an import
      finishes), and error rows that name the teacher are replaced by ERASED_ROW;
    - the Django admin's log entries about the teacher and their enrollments are deleted, and any
      audit line that names them is reworded;
    - the calendar events of scheduled steps keep only what their cancellation needs (UID, times, the
      attendees' addresses: coaching.invitations.events_unname) until it is sent, then go.

    The enrollments' rollups go by cascade; their schools' and their coaches' rollups are recomputed.
    """
    if not _matches(confirmation, teacher.name):
        raise ValidationError({"confirmation": "Type the teacher's name exactly as shown to confirm."})
    district, teacher_id = teacher.school.district, teacher.pk
    counts = selectors.erasure_counts(teacher)
    mentions = _mentions(teacher)
    _scrub_logs(district, teacher, mentions)
    # Calendars that hold a scheduled step get its cancellation (sent, then forgotten, by a task that
    # needs no row of the teacher's, and names them nowhere); the calendar events of done steps go now.
    enrollments = list(teacher.enrollments.all())
    steps = Step.objects.filter(cycle__challenge__enrollment__in=enrollments)
    coaching_services.enrollment_steps_cancel(enrollments=enrollments)
    invitations.events_forget(steps)
    invitations.events_unname(steps, teacher_email=teacher.email)
    schools = {teacher.school_id}
    for model in (EnrollmentMonth, EnrollmentITU):
        schools |= set(model.objects.filter(teacher_id=teacher_id).values_list("school_id", flat=True))
    teacher.delete()  # its enrollments' rollups, and its TeacherYear rows, go with them (CASCADE)
    school_rollups_refresh(schools)  # their schools' sums counted the erased work
    rollups.changed(coach_ids={e.coach_id for e in enrollments})  # their coaches' tags did too
    withdrawn = _withdraw_exports(district)
    scrubbed = _scrub_roster_imports(district, mentions)
    # The audit line keeps the id and the counts but not the name or e-mail: the point of erasure
    # is that nothing identifies the teacher afterwards, the audit log included.
    audit.record(
        district=district,
        actor=actor,
        action=Action.ERASE,
        summary=f"Erased teacher #{teacher_id} and all their coaching records",
        teacher_id=teacher_id,
        counts=counts,
        exports_withdrawn=withdrawn,
        roster_imports_scrubbed=scrubbed,
    )
    return counts
