"""Reads for principals and district admins: numbers, never rows of teacher content.

One suppression rule, decided by one function (`suppress`): any figure derived from teachers'
records over fewer than the district's k teachers reads "fewer than k", so that no single teacher
can be singled out (DESIGN.md, "Confidentiality"). "Over" is counted twice, and either being 1 to
k-1 hides the figure:

- the figure's own teachers (the teachers whose records it counts: a cell of 2 visits by 2
  teachers is over 2 teachers), and
- its row's group (a school's teachers, a coach's teachers: everyone enrolled in a running
  program, ended enrollments included, whose records the row is computed from). A zero over a
  group of 3 says something about each of the 3, so it is hidden too; a zero over no one, or over
  k or more, is shown.

Every figure of every row is a `Figure` built by `suppress`; no row carries a raw number about
teachers. What is deliberately shown as it is: the size of a coach's caseload (the district admin
assigns it and sees it on the caseload pages) and school-wide work (principal meetings, PLCs: about
the coach's work at the school, not a teacher). Query counts are fixed: each aggregate is one
grouped query, whatever the number of schools, teachers or steps.

Differencing: no table shows a total beside parts that may be suppressed (the total would give the
suppressed part away). Residual risks accepted: a count and the population it is part of are both
shown (6 teachers enrolled, 5 active), so a small complement (1 not active) can be inferred, though
not who it is; and a school's row and its coaches' rows measure different things (teachers active
in 30 days, minutes; steps and challenges per coach), so they do not subtract into one another, but
a district with one school and two coaches should keep that in mind.
"""

import calendar
import datetime
import operator
from collections import defaultdict
from collections.abc import Sized
from dataclasses import dataclass
from functools import reduce

from django.db import connection
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts import scoping
from accounts.models import AuditEvent, District, Membership, Role, School, User
from coaching.models import (
    Activity,
    Challenge,
    ChallengeCategory,
    Enrollment,
    Goal,
    ImpactStory,
    ITUIndicator,
    ITURating,
    ITUScore,
    Program,
    Reflection,
    Step,
    Teacher,
)
from coaching.selectors import CONTACT_DAYS
from config import sql
from dashboard.models import (
    ChallengeCount,
    CoachSelfAssessment,
    CoachStandardMonth,
    CoachStandardYear,
    DataExport,
    EnrollmentITU,
    EnrollmentMonth,
    ProgramTeacher,
    SchoolITU,
    SchoolMonth,
    SchoolWideMonth,
    TeacherYear,
)
from standards.models import SelfAssessmentRating, Standard

ACTIVE_DAYS = 30
Status = Challenge.Status


# --- small-group suppression --------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A number for a leader's eyes, or None when its group of teachers is too small to show."""

    value: int | None
    k: int

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return f"fewer than {self.k}" if self.value is None else f"{self.value:,}"

    def __html__(self) -> SafeString:
        """The figure on a page, a suppressed one in italics. Templates write `{{ figure.html }}`: Django's
        templates turn a value into a string before they look for `__html__`."""
        if self.value is None:
            return SafeString(f'<span class="fst-italic">fewer than {self.k:d}</span>')
        if type(self.value) in (int, float):  # digits, commas, a point, a minus: nothing to escape (~1 µs a figure)
            return SafeString(f"{self.value:,}")
        return escape(str(self))

    html = property(__html__)


def suppress(value: int, *, teachers: int, k: int, group: int | None = None) -> Figure:
    """`value`, computed from the records of `teachers` teachers out of a `group` of teachers (the row's:
    a school's or a coach's; `teachers` itself when not given), unless either has 1 to k-1 of them.

    The one decision of suppression: every figure a leader sees is built here. Zero is shown when the
    group is empty or has at least k teachers ("none of them" singles nobody out).
    """
    small = 0 < teachers < k or (group is not None and 0 < group < k)
    return Figure(None if small else value, k)


def count(teachers: int, *, k: int, group: int | None = None) -> Figure:
    """A count of teachers is its own group (and part of its row's, when given)."""
    return suppress(teachers, teachers=teachers, k=k, group=group)


# --- the population: enrollments of the programs running today ----------------------------------


def current_enrollments(district: District, today: datetime.date) -> QuerySet[Enrollment]:
    """Every enrollment (ended ones too: their coaching time counts) of the district's running programs."""
    return Enrollment.objects.filter(program__in=current_programs(district, today)).order_by()


def current_programs(district: District, today: datetime.date) -> QuerySet[Program]:
    return scoping.district_rows(district, Program).running(today)


# --- the period a dashboard covers ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A range of whole months (the rollups' grain): from the month of `start` to the month of `end`."""

    start: datetime.date
    end: datetime.date

    MAX_DAYS = 3 * 366

    def problem(self) -> str | None:
        """Why a leader may not choose this period (backwards, longer than three years, or ending in the calendar's
        last year, whose months have no next month to count up to), or None."""
        if self.start > self.end:
            return "“From” must come before “To”."
        if (self.end - self.start).days > self.MAX_DAYS:
            return "Choose a range of at most three years."
        if self.end.year == datetime.date.max.year:
            return f"“To” must come before the year {datetime.date.max.year}."
        return None

    @property
    def label(self) -> str:
        """The months covered, as a page names them ("September 2026 to October 2026"): whole months, whatever
        the days of `start` and `end`."""
        first, last = f"{self.first_month:%B %Y}", f"{self.end:%B %Y}"
        return first if first == last else f"{first} to {last}"

    @property
    def first_month(self) -> datetime.date:
        return self.start.replace(day=1)

    @property
    def months(self) -> list[datetime.date]:
        months, month = [], self.first_month
        while month <= self.end and len(months) < 36:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return months

    def rollups(self, queryset: QuerySet) -> QuerySet:
        return queryset.filter(month__gte=self.first_month, month__lte=self.end)

    def days(self, field: str) -> Q:
        """Rows whose date `field` falls in the period's months, as the page names them (`label`): from the first
        day of the month of `start` to the last day of the month of `end`."""
        last = self.end.replace(day=calendar.monthrange(self.end.year, self.end.month)[1])
        return Q(**{f"{field}__gte": self.first_month, f"{field}__lte": last})

    def month_bits(self) -> dict[int, int]:
        """The period's months as TeacherYear month masks: {year: its months' bits} (bit m-1 is month m)."""
        bits: dict[int, int] = {}
        month = self.first_month
        while month <= self.end:
            bits[month.year] = bits.get(month.year, 0) | 1 << (month.month - 1)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return bits

    def within(self, mask: str) -> Q:
        """Rows (TeacherYear, CoachStandardYear) whose month mask `mask` has a month of the period."""
        bits = self.month_bits()
        if not bits:
            return Q(pk__in=[])
        return Q(*(Q(year=year, **{f"{mask}__anybit": mask_bits}) for year, mask_bits in bits.items()), _connector=Q.OR)


def program_period(programs: list[Program], today: datetime.date) -> Period:
    """The school year of the running programs (their earliest start to today), or the last 12 months."""
    starts = [program.starts_on for program in programs]
    if starts:
        return Period(min(starts), today)
    return Period((today - datetime.timedelta(days=335)).replace(day=1), today)


# A teacher's 1:1 coaching in a month of EnrollmentMonth: these minutes, and coached when one of them is not zero.
ONE_TO_ONE_COLUMNS = ("step_minutes", "reflection_minutes", "touchpoint_minutes")
ONE_TO_ONE_MINUTES = reduce(operator.add, map(F, ONE_TO_ONE_COLUMNS))
COACHED = Q(*(Q(**{f"{column}__gt": 0}) for column in ONE_TO_ONE_COLUMNS), _connector=Q.OR)
STEP_FIGURES = (
    (Step.Kind.PLAN_MEETING, "plan_meetings"),
    (Step.Kind.VISIT, "visits"),
    (Step.Kind.DEBRIEF, "debriefs"),
)


def _rollup_figures(rows: QuerySet, *group: str) -> dict:
    """Sums of the 1:1 rollups grouped by `group`, each with the distinct teachers it was computed over."""
    per_kind = {}
    for _, column in STEP_FIGURES:
        per_kind[f"{column}_n"] = Sum(column)
        per_kind[f"{column}_teachers"] = Count("teacher_id", distinct=True, filter=Q(**{f"{column}__gt": 0}))
    result = (
        rows.values(*group)
        .annotate(
            minutes=Sum(ONE_TO_ONE_MINUTES),
            coached=Count("teacher_id", distinct=True, filter=COACHED),
            cycles_n=Sum("cycles_completed"),
            cycles_teachers=Count("teacher_id", distinct=True, filter=Q(cycles_completed__gt=0)),
            resolved_n=Sum("resolved"),
            resolved_teachers=Count("teacher_id", distinct=True, filter=Q(resolved__gt=0)),
            **per_kind,
        )
        .order_by()
    )
    return {tuple(row[g] for g in group) if len(group) > 1 else row[group[0]]: row for row in result}


def level_two(programs: list[Program]) -> list[int] | None:
    """The ids of `programs` when their level-2 rollups (SchoolMonth, TeacherYear, SchoolITU: one row per
    program and school) add up exactly to their figures: one program, or several that no teacher is enrolled
    in two of (1 query). Else None, and callers read level 1 (per enrollment): a teacher in two programs
    would be counted twice by adding up the programs' teacher counts."""
    ids = [p.pk for p in programs]
    if len(ids) > 1:
        twice = Enrollment.objects.filter(program__in=ids).values("teacher").annotate(n=Count("program", distinct=True))
        if twice.filter(n__gt=1).exists():
            return None
    return ids


class Levels:
    """Which rollups add up for `programs` (`level_two`, read once for a page): level 2 (`two`, their ids), or
    level 1 when `two` is None."""

    def __init__(self, programs: list[Program]) -> None:
        self.programs = programs
        self.two = level_two(programs)

    def month_rows(self, school: School | None = None) -> QuerySet:
        """Monthly rollups (at `school`) for `month_sums`/`trend`: SchoolMonth rows, or EnrollmentMonth rows."""
        return self._rows(SchoolMonth, EnrollmentMonth, school)

    def itu_rows(self, school: School | None = None) -> QuerySet:
        """ITU rollups (at `school`) for `itu_figures`/`itu_change`: SchoolITU rows, or EnrollmentITU rows."""
        return self._rows(SchoolITU, EnrollmentITU, school)

    def _rows(self, level2: type, level1: type, school: School | None) -> QuerySet:
        if self.two is None:
            rows = level1.objects.filter(program_id__in=[p.pk for p in self.programs])
        else:
            rows = level2.objects.filter(program_id__in=self.two)
        return rows.filter(school_id=school.pk) if school is not None else rows


# A month's sums (or a period's), each of these 1:1 rollup columns (EnrollmentMonth's, SchoolMonth's) added up.
MONTH_SUM_COLUMNS = {
    "minutes": ONE_TO_ONE_COLUMNS,
    "cycles_n": ("cycles_completed",),
    "resolved_n": ("resolved",),
    **{f"{column}_n": (column,) for _, column in STEP_FIGURES},
}
MONTH_SUMS = {key: Sum(reduce(operator.add, map(F, key_columns))) for key, key_columns in MONTH_SUM_COLUMNS.items()}


def _school_month_figures(
    program_ids: list[int], school_ids: list[int], period: Period, months: dict | None = None
) -> dict:
    """What `_rollup_figures(..., "school_id")` gives, from level 2: sums of SchoolMonth (`_aggregate`), and teacher
    counts from TeacherYear's month masks (`_teachers_within`): 2 queries whose rows grow with schools and teachers,
    not with steps. `months`: the one school's `month_sums` of the same SchoolMonth rows, when the caller has them
    (1 query then)."""
    masks = {"coached": "coached", "cycles_teachers": "cycles_completed", "resolved_teachers": "resolved"}
    masks |= {f"{column}_teachers": column for _, column in STEP_FIGURES}
    result: dict[int, dict] = {}
    if months is not None:
        [school_id] = school_ids
        result[school_id] = {key: sum(row[key] or 0 for row in months.values()) for key in MONTH_SUMS}
    elif program_ids and school_ids:  # the SchoolMonth sums per school (`_aggregate`)
        months_where, params = _months_where(period)
        sums = {key: (f"SUM({' + '.join(key_columns)})", []) for key, key_columns in MONTH_SUM_COLUMNS.items()}
        where = _schools_in(program_ids, school_ids) + months_where
        result = _aggregate(SchoolMonth, "school_id", sums, where, [*program_ids, *school_ids, *params])
    for school_id, counts in _teachers_within(program_ids, school_ids, period, masks).items():
        result.setdefault(school_id, {}).update(counts)
    return result


def _teachers_within(
    program_ids: list[int], school_ids: list[int], period: Period, masks: dict[str, str]
) -> dict[int, dict[str, int]]:
    """Per school, its distinct teachers whose TeacherYear `masks` (figure → mask) have a month of `period` (1 query,
    `_school_counts`: a count per figure, which the ORM takes longer to build than the index takes to give). A
    teacher has one row a year (at level 2, in one program only), so within one year the rows are counted
    without the sort a COUNT(DISTINCT …) takes (a period from August to December)."""
    bits = period.month_bits()
    if not bits:
        return {}
    figures = {key: _within(period, sql.column(TeacherYear, mask)) for key, mask in masks.items()}
    distinct = "teacher" if len(bits) > 1 else None
    where = f" AND {sql.column(TeacherYear, 'year')} IN ({sql.placeholders(bits)})"
    return _school_counts(
        TeacherYear, figures, program_ids, school_ids, distinct=distinct, where=where, params=list(bits)
    )


def _participation(
    programs: list[Program], school_ids: list[int], today: datetime.date, *, one_row_per_teacher: bool
) -> dict[int, dict]:
    """Per school: its teachers in `programs` (ended enrollments included: the suppression group), those on a
    caseload now, and how many of them had coaching contact lately (1 query).

    Read from ProgramTeacher (a row per program and teacher, kept from the enrollments and the `last_contact_on`
    the services that log contact keep), so the figures cost the same whatever the number of steps; a teacher
    counted once across programs, by their rows (`one_row_per_teacher`: `level_two` holds) or distinct. On a
    caseload: coaching.models.active_enrollment, the program's end read here. (`school_roster` counts the same
    figures for one school from the same rows, in Python, beside its challenges.)
    """
    program_ids, open_programs = [p.pk for p in programs], [p.pk for p in programs if p.ends_on >= today]
    adapt = connection.ops.adapt_datefield_value
    caseload, contact = (sql.column(ProgramTeacher, name) for name in ("on_caseload", "last_contact_on"))
    recent, lately = (adapt(today - datetime.timedelta(days=days)) for days in (ACTIVE_DAYS, CONTACT_DAYS))
    on_caseload = f"{caseload} AND program_id IN ({sql.placeholders(open_programs)})"
    figures = {  # figure: its condition and the condition's parameters
        "group": ("1 = 1", []),
        "enrolled": (on_caseload, open_programs),
        "active": (f"{on_caseload} AND {contact} >= %s", [*open_programs, recent]),
        "contacted": (f"{on_caseload} AND {contact} >= %s", [*open_programs, lately]),
    }
    distinct = None if one_row_per_teacher else "teacher"
    return _school_counts(ProgramTeacher, figures, program_ids, school_ids, distinct=distinct)


def _school_wide(period: Period, school_ids: list[int]) -> dict[int, dict]:
    """Per school, the minutes (`m`) and count (`n`) of its school-wide work in `period`, from SchoolWideMonth (1
    query, `_aggregate`: two sums over a row per school and month; none without schools)."""
    if not school_ids:
        return {}
    months, params = _months_where(period)
    sums = {
        "m": (f"SUM({sql.column(SchoolWideMonth, 'minutes')})", []),
        "n": (f"SUM({sql.column(SchoolWideMonth, 'count')})", []),
    }
    where = f"school_id IN ({sql.placeholders(school_ids)}){months}"
    return _aggregate(SchoolWideMonth, "school_id", sums, where, [*school_ids, *params])


@dataclass(frozen=True)
class SchoolFigures:
    school: School
    enrolled: Figure
    active: Figure  # teachers with coaching contact in the last ACTIVE_DAYS days
    contacted: Figure  # teachers contacted in the last CONTACT_DAYS days
    coaching_minutes: Figure  # done steps, reflections and touchpoints
    steps: list[tuple[str, Figure]]  # (kind label, done steps of that kind)
    school_wide_minutes: int
    school_wide_count: int
    cycles: Figure = Figure(0, 0)
    resolved: Figure = Figure(0, 0)
    group: int = 0  # the school's teachers in the programs: the row's suppression group


def school_figures(
    district: District,
    schools: list[School],
    *,
    now: datetime.datetime | None = None,
    programs: list[Program] | None = None,
    period: Period | None = None,
    levels: Levels | None = None,
    months: dict | None = None,
    participation: dict | None = None,
) -> list[SchoolFigures]:
    """Participation, cadence, coaching time, steps by kind, cycles and resolved challenges per school,
    suppressed; from the rollups (level 2 when `level_two` allows; participation from ProgramTeacher), in 5 queries
    whatever the number of steps (4 given `months`, 3 given `participation` too).

    `programs` (default: the running ones) and `period` (default: their school year) narrow the figures.
    `levels`: `Levels(programs)` when the caller has it; `months`: the `month_sums` of `levels.month_rows` at
    the one school of `schools` over `period`, when the caller has read them (their sums are the school's at
    level 2; level 1 reads its own); `participation`: the one school's `SchoolRoster.participation` over
    `programs`, when the caller has read it.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    programs = list(current_programs(district, today)) if programs is None else programs
    period = period or program_period(programs, today)
    levels = levels or Levels(programs)
    program_ids, school_ids = [p.pk for p in programs], [s.pk for s in schools]
    if participation is None:
        participation = _participation(programs, school_ids, today, one_row_per_teacher=levels.two is not None)
    else:
        [school_id] = school_ids
        participation = {school_id: participation}
    if levels.two is not None:
        rollups = _school_month_figures(levels.two, school_ids, period, months)
    else:
        rollups = _rollup_figures(
            period.rollups(EnrollmentMonth.objects.filter(program_id__in=program_ids, school_id__in=school_ids)),
            "school_id",
        )
    school_wide = _school_wide(period, school_ids)
    k = district.suppression_k
    result = []
    for school in schools:
        p, r, w = participation.get(school.pk, {}), rollups.get(school.pk, {}), school_wide.get(school.pk, {})
        g = p.get("group", 0)

        def figure(value_key: str, teachers_key: str) -> Figure:
            return suppress(r.get(value_key) or 0, teachers=r.get(teachers_key, 0), k=k, group=g)  # noqa: B023

        result.append(
            SchoolFigures(
                school=school,
                enrolled=count(p.get("enrolled", 0), k=k, group=g),
                active=count(p.get("active", 0), k=k, group=g),
                contacted=count(p.get("contacted", 0), k=k, group=g),
                coaching_minutes=figure("minutes", "coached"),
                steps=[
                    (label, figure(f"{column}_n", f"{column}_teachers"))
                    for (_, column), label in zip(STEP_FIGURES, Step.Kind.labels, strict=True)
                ],
                school_wide_minutes=w.get("m") or 0,
                school_wide_count=w.get("n") or 0,
                cycles=figure("cycles_n", "cycles_teachers"),
                resolved=figure("resolved_n", "resolved_teachers"),
                group=g,
            )
        )
    return result


# --- month by month, ITU change, goals ----------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    month: datetime.date
    teachers: Figure  # teachers with 1:1 coaching that month
    steps: Figure
    hours: Figure
    cycles: Figure

    @property
    def cells_html(self) -> SafeString:
        """The month and its figures as the trend table's cells, written once: the template's `date:"M Y"` and
        four lookups cost ~0.1 ms a row (English month names, as the charts' labels)."""
        cells = "".join(
            f'<td class="text-end">{f.__html__()}</td>' for f in (self.teachers, self.steps, self.hours, self.cycles)
        )
        # A month's name and year need no escaping, nor do the figures' own markup.
        return mark_safe(f'<th scope="row" class="fw-normal">{self.month:%b %Y}</th>{cells}')  # noqa: S308


def month_sums(rows: QuerySet, period: Period) -> dict[datetime.date, dict]:
    """Per month of `period`, from EnrollmentMonth or SchoolMonth `rows` (`Levels.month_rows`): the teachers coached,
    the steps done and `MONTH_SUMS` (one query): what `trend` draws, and a school's sums for `school_figures`."""
    coached = Sum("coached") if rows.model is SchoolMonth else Count("teacher_id", distinct=True, filter=COACHED)
    by_month = {
        row["month"]: row
        for row in period.rollups(rows).values("month").annotate(teachers=coached, **MONTH_SUMS).order_by()
    }
    for row in by_month.values():  # the steps done: the three kinds' sums, added here rather than summed again
        row["steps"] = row["plan_meetings_n"] + row["visits_n"] + row["debriefs_n"]
    return by_month


def _school_rows(
    model: type, columns: tuple[str, ...], program_ids: list[int], school_ids: list[int], where: str = "", params=()
):
    """`columns` of the rows of a level-2 rollup `model` (SchoolMonth, SchoolITU: one row per program and school, and
    month or indicator) at `school_ids` in `program_ids`, and `where` (its `%s` are `params`): a few dozen rows a
    school, read with a cursor (1 query; config.sql: why, and its rules; program_id, school_id and month are every
    rollup's columns). No programs or schools: no rows, without a query (as the ORM does)."""
    if not (program_ids and school_ids):
        return []
    names = ", ".join(sql.column(model, name) for name in columns)
    query = f"SELECT {names} FROM {sql.table(model)} WHERE {_schools_in(program_ids, school_ids)}{where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, [*program_ids, *school_ids, *params])
        return cursor.fetchall()


def _schools_in(program_ids: list[int], school_ids: list[int]) -> str:
    """A level-2 rollup's rows in these programs at these schools (their ids are the parameters, in this order)."""
    return f"program_id IN ({sql.placeholders(program_ids)}) AND school_id IN ({sql.placeholders(school_ids)})"


def _school_counts(
    model: type,
    figures: dict[str, tuple[str, list]],
    program_ids: list[int],
    school_ids: list[int],
    *,
    distinct: str | None = None,
    where: str = "",
    params=(),
) -> dict[int, dict[str, int]]:
    """Per school of `school_ids`, how many rows of a level-2 rollup `model` in `program_ids` (and `where`, its `%s`
    `params`) meet each figure's SQL condition (`figures`: figure → condition and its parameters); with `distinct`,
    how many distinct values of that field. 1 query (`_aggregate`); no programs or schools: none."""
    if not (program_ids and school_ids):
        return {}
    head, counted = ("", "1") if distinct is None else ("DISTINCT ", sql.column(model, distinct))
    counts = {
        name: (f"COUNT({head}CASE WHEN {condition} THEN {counted} END)", condition_params)
        for name, (condition, condition_params) in figures.items()
    }
    rows = _schools_in(program_ids, school_ids) + where
    return _aggregate(model, "school_id", counts, rows, [*program_ids, *school_ids, *params])


def _aggregate(model: type, key: str, aggregates: dict[str, tuple[str, list]], where: str, params) -> dict:
    """Per value of the column `key` of `model`'s table, each of `aggregates` (name → an SQL aggregate and its
    parameters) over the rows that meet `where` (its `%s` are `params`): {key: {name: value}}. 1 query, read with a
    cursor (config.sql: why, and its rules)."""
    columns = ", ".join(aggregate for aggregate, _ in aggregates.values())
    values = [value for _, aggregate_params in aggregates.values() for value in aggregate_params]
    query = f"SELECT {key}, {columns} FROM {sql.table(model)} WHERE {where} GROUP BY {key}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, [*values, *params])
        return {group: dict(zip(aggregates, row, strict=True)) for group, *row in cursor.fetchall()}


def _within(period: Period, mask: str) -> tuple[str, list]:
    """Rows whose month mask column `mask` (quoted) has a month of `period`, as `Period.within` asks (a condition
    and its parameters, for a cursor read; never true for a period of no month)."""
    bits = period.month_bits()
    if not bits:
        return "1 = 0", []
    year = connection.ops.quote_name("year")
    condition = " OR ".join([f"({year} = %s AND ({mask} & %s) > 0)"] * len(bits))
    return f"({condition})", [value for year_bits in bits.items() for value in year_bits]


def _months_where(period: Period) -> tuple[str, list]:
    """The rollup rows of `period`'s months, as `Period.rollups` filters them, for `_school_rows`."""
    adapt = connection.ops.adapt_datefield_value
    return " AND month >= %s AND month <= %s", [adapt(period.first_month), adapt(period.end)]


SCHOOL_MONTH_COLUMNS = ("coached", "step_minutes", "reflection_minutes", "touchpoint_minutes", "cycles_completed",
                        "resolved", "plan_meetings", "visits", "debriefs")  # fmt: skip


MONTH_SUM_KEYS = ("teachers", "minutes", "cycles_n", "resolved_n", "plan_meetings_n", "visits_n", "debriefs_n")


def school_month_sums(levels: Levels, school: School, period: Period) -> dict[datetime.date, dict]:
    """`month_sums(levels.month_rows(school), period)`, the same dict: at level 2 the school's SchoolMonth rows (one per
    program and month) read with `_school_rows` and added up here (1 query); at level 1 `month_sums`."""
    if levels.two is None:
        return month_sums(levels.month_rows(school), period)
    where, params = _months_where(period)
    by_month: dict[datetime.date, dict] = {}
    for month, coached, step, reflection, touchpoint, cycles, resolved, plans, visits, debriefs in _school_rows(
        SchoolMonth, ("month", *SCHOOL_MONTH_COLUMNS), levels.two, [school.pk], where, params
    ):
        sums = (coached, step + reflection + touchpoint, cycles, resolved, plans, visits, debriefs)
        row = by_month.get(month)
        if row is None:
            by_month[month] = dict(zip(("month", *MONTH_SUM_KEYS), (month, *sums), strict=True))
        else:
            for key, value in zip(MONTH_SUM_KEYS, sums, strict=True):
                row[key] += value
    for row in by_month.values():  # the steps done, as month_sums adds them
        row["steps"] = row["plan_meetings_n"] + row["visits_n"] + row["debriefs_n"]
    return by_month


def trend(rows: QuerySet | dict, period: Period, *, k: int | None, group: int | None = None) -> list[MonthFigures]:
    """The main figures month by month over `period`, from EnrollmentMonth or SchoolMonth `rows` (`Levels.month_rows`;
    one query) or their `month_sums` (none). With `k` None (the coach's own data) nothing is suppressed.
    """
    by_month = rows if isinstance(rows, dict) else month_sums(rows, period)

    def figure(value, teachers) -> Figure:
        return Figure(value, 0) if k is None else suppress(value, teachers=teachers, k=k, group=group)

    result = []
    for month in period.months:
        row = by_month.get(month, {})
        n = row.get("teachers", 0)
        result.append(
            MonthFigures(
                month=month,
                teachers=Figure(n, 0) if k is None else count(n, k=k, group=group),
                steps=figure(row.get("steps") or 0, n),
                hours=figure(round((row.get("minutes") or 0) / 60, 1), n),
                cycles=figure(row.get("cycles_n") or 0, n),
            )
        )
    return result


@dataclass(frozen=True)
class ITURow:
    label: str
    teachers: Figure  # rated at baseline and again later
    frequency: tuple[Figure | None, Figure | None]  # average at baseline, latest (None: nobody rated)
    proficiency: tuple[Figure | None, Figure | None]

    @property
    def cells_html(self) -> SafeString:
        """The indicator's figures as the ITU table's cells, written once."""
        cells = "".join(
            f'\n    <td class="text-end text-nowrap">{pair[0].__html__()} → {pair[1].__html__()}</td>'
            if pair[0]
            else '\n    <td class="text-end text-nowrap">—</td>'
            for pair in (self.frequency, self.proficiency)
        )
        return mark_safe(f'<td class="text-end">{self.teachers.__html__()}</td>{cells}')  # noqa: S308 (figures' own markup)


@dataclass(frozen=True)
class ITUHeadline:
    rose: Figure  # teachers whose ITU (the sum of all twelve ratings) rose from baseline to latest
    rated: Figure  # teachers rated at baseline and again later
    percent: Figure


ITU_COLUMNS = {
    "bf": "baseline_frequency",
    "lf": "latest_frequency",
    "bp": "baseline_proficiency",
    "lp": "latest_proficiency",
}


def itu_change(rows: QuerySet, *, k: int | None, group: int | None = None) -> list[ITURow]:
    """Average ITU per indicator at baseline and latest (end, else mid), over teachers rated twice (one query),
    from EnrollmentITU or SchoolITU `rows` (`Levels.itu_rows`)."""
    if rows.model is SchoolITU:
        return _itu_change(_school_itu_cells(rows.exclude(indicator=SchoolITU.HEADLINE)), k, group)
    cells = {
        row["indicator"]: row
        for row in rows.filter(latest_frequency__isnull=False)
        .values("indicator")
        .annotate(n=Count("teacher_id", distinct=True), **{k: Avg(c) for k, c in ITU_COLUMNS.items()})
        .order_by()
    }
    return _itu_change(cells, k, group)


def itu_figures(rows: QuerySet, *, k: int, group: int | None = None) -> tuple[list[ITURow], ITUHeadline]:
    """`itu_change` and the headline of `rows` (`Levels.itu_rows`): the share of the teachers rated twice whose ITU (the
    sum of their ratings) rose, the figure boards ask for. One query from SchoolITU rows (the headline row is
    read with the indicators'), two from EnrollmentITU rows."""
    if rows.model is not SchoolITU:
        return itu_change(rows, k=k, group=group), _enrollment_headline(rows, k=k, group=group)
    cells = _school_itu_cells(rows)
    headline = cells.pop(SchoolITU.HEADLINE, {})
    return _itu_change(cells, k, group), _headline(headline.get("n") or 0, headline.get("rose") or 0, k=k, group=group)


def school_itu_figures(levels: Levels, school: School, *, k: int, group: int) -> tuple[list[ITURow], ITUHeadline]:
    """`itu_figures(levels.itu_rows(school), k=k, group=group)`: at level 2 the school's SchoolITU rows (one per program
    and indicator) read with `_school_rows` and added up here as `_school_itu_cells` adds them (1 query)."""
    if levels.two is None:
        return itu_figures(levels.itu_rows(school), k=k, group=group)
    keys = ("n", "ratings", "rose", *ITU_COLUMNS)
    columns = ("teachers", "ratings", "rose", *ITU_COLUMNS.values())
    cells: dict[str, dict] = {}
    for indicator, *values in _school_rows(SchoolITU, ("indicator", *columns), levels.two, [school.pk]):
        cell = cells.get(indicator)
        if cell is None:
            cells[indicator] = {"indicator": indicator, **dict(zip(keys, values, strict=True))}
        else:
            for key, value in zip(keys, values, strict=True):
                cell[key] += value
    headline = cells.pop(SchoolITU.HEADLINE, {})
    for cell in cells.values():
        if cell["ratings"]:
            cell.update({key: cell[key] / cell["ratings"] for key in ITU_COLUMNS})
    return _itu_change(cells, k, group), _headline(headline.get("n") or 0, headline.get("rose") or 0, k=k, group=group)


def _school_itu_cells(rows: QuerySet) -> dict[str, dict]:
    """SchoolITU `rows` summed per indicator, with the averages over the enrollments' ratings (as Avg over
    EnrollmentITU rows)."""
    sums = {key: Sum(column) for key, column in ITU_COLUMNS.items()}
    cells = {
        row["indicator"]: row
        for row in rows.values("indicator")
        .annotate(n=Sum("teachers"), ratings=Sum("ratings"), rose=Sum("rose"), **sums)
        .order_by()
    }
    for indicator, cell in cells.items():
        if indicator != SchoolITU.HEADLINE and cell["ratings"]:
            cell.update({key: cell[key] / cell["ratings"] for key in ITU_COLUMNS})
    return cells


def _itu_change(cells: dict[str, dict], k: int | None, group: int | None) -> list[ITURow]:
    result = []
    for indicator, label in ITUIndicator.choices:
        cell = cells.get(indicator, {})
        n = cell.get("n", 0)
        result.append(
            ITURow(
                label=label,
                teachers=Figure(n, 0) if k is None else count(n, k=k, group=group),
                frequency=(_average(cell, "bf", k, group), _average(cell, "lf", k, group)),
                proficiency=(_average(cell, "bp", k, group), _average(cell, "lp", k, group)),
            )
        )
    return result


def _average(cell: dict, key: str, k: int | None, group: int | None) -> Figure | None:
    """An average over `cell["n"]` teachers to one decimal; None when nobody was rated."""
    if not cell.get("n"):
        return None
    value = round(float(cell[key]), 1)
    return Figure(value, 0) if k is None else suppress(value, teachers=cell["n"], k=k, group=group)


def _enrollment_headline(rows: QuerySet, *, k: int, group: int | None) -> ITUHeadline:
    """The share of coached teachers whose ITU rose from baseline to end, the figure boards ask for, from
    EnrollmentITU `rows` (one query)."""
    deltas = (
        rows.filter(latest_frequency__isnull=False)
        .values("teacher_id")
        .annotate(
            delta=Sum(
                F("latest_frequency") + F("latest_proficiency") - F("baseline_frequency") - F("baseline_proficiency")
            )
        )
        .order_by()
    )
    totals = deltas.aggregate(rated=Count("teacher_id"), rose=Count("teacher_id", filter=Q(delta__gt=0)))
    rated, rose = totals["rated"] or 0, totals["rose"] or 0
    return _headline(rated, rose, k=k, group=group)


def _headline(rated: int, rose: int, *, k: int, group: int | None) -> ITUHeadline:
    return ITUHeadline(
        rose=suppress(rose, teachers=rated, k=k, group=group),
        rated=count(rated, k=k, group=group),
        percent=suppress(round(100 * rose / rated) if rated else 0, teachers=rated, k=k, group=group),
    )


def population(*, programs: list[Program], school: School | None = None) -> int:
    """The teachers enrolled in `programs` (at `school`), ended enrollments included: the suppression
    group of the figures computed over all of them (a district's or a school's trend and ITU). Counted from
    ProgramTeacher (a row per program and teacher) over its index: its rows when there is one program, else
    distinct teachers (1 query)."""
    rows = ProgramTeacher.objects.filter(program_id__in=[p.pk for p in programs])
    if school is not None:
        rows = rows.filter(school=school)
    teachers = Count("pk") if len(programs) == 1 else Count("teacher", distinct=True)
    return rows.aggregate(n=teachers)["n"]


@dataclass(frozen=True)
class SchoolTeachers:
    rostered: int  # on the school's roster
    enrolled: int  # of them enrolled in a running program of the district (ended enrollments included)


@dataclass(frozen=True)
class SchoolRoster:
    """One school's teachers, their enrollments in the district's running programs and those enrollments'
    challenges, counted (`school_roster`)."""

    teachers: SchoolTeachers
    participation: dict[str, int]  # what `school_figures` counts per school from the enrollments in `programs`
    challenges: list[tuple]  # (category, status, goal_id, program_id, teacher_id, challenges): `school_challenges`


def school_roster(district: District, school: School, programs: list[Program], *, today: datetime.date) -> SchoolRoster:
    """What the school page counts from the school's teachers and their places in the district's running programs, in
    one query: its roster and how many of them are enrolled (`school_teachers`), the participation of
    `school_figures` over `programs` (running programs: the page's choice among them), and their challenges per
    category, status and goal (`school_challenges`). `school` is one the viewer may see (accounts.scoping).

    Read from the read model beside the roster: a teacher's ProgramTeacher row per program (on a caseload, last
    contact) and its ChallengeCount rows (a few, whatever the number of challenges), both found by the school's
    index, joined to the school's teachers with a cursor (config.sql: why, and its rules). Counted here: no
    `COUNT(DISTINCT …)` per figure for the database to sort."""
    teacher, place, kinds = (sql.table(model) for model in (Teacher, ProgramTeacher, ChallengeCount))
    running, running_params = current_programs(district, today).order_by().values("pk").query.sql_with_params()
    columns = "t.id, p.program_id, p.on_caseload, p.last_contact_on, c.category, c.status, c.goal_id, c.challenges"
    query = (
        f"SELECT {columns} FROM {teacher} t LEFT JOIN {place} p "  # noqa: S608
        f"ON p.teacher_id = t.id AND p.school_id = %s AND p.program_id IN ({running}) "
        f"LEFT JOIN {kinds} c ON c.teacher_id = p.teacher_id AND c.program_id = p.program_id AND c.school_id = %s "
        "WHERE t.school_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [school.pk, *running_params, school.pk, school.pk])
        rows = cursor.fetchall()
    chosen = {p.pk for p in programs}
    # coaching.models.active_enrollment: not ended, and its program's last day is today or later.
    open_programs = {p.pk for p in programs if p.ends_on >= today}
    recent, contact = today - datetime.timedelta(days=ACTIVE_DAYS), today - datetime.timedelta(days=CONTACT_DAYS)
    rostered, enrolled, group, on_caseload, active, contacted = set(), set(), set(), set(), set(), set()
    challenges = []
    for teacher_id, program, caseload, last_contact, category, status, goal, n in rows:
        rostered.add(teacher_id)
        if program is None:
            continue
        enrolled.add(teacher_id)
        if n:
            challenges.append((category, status, goal, program, teacher_id, n))
        if program not in chosen:
            continue
        group.add(teacher_id)  # ended enrollments included
        if caseload and program in open_programs:
            on_caseload.add(teacher_id)
            if last_contact is not None and last_contact >= recent:
                active.add(teacher_id)
                if last_contact >= contact:
                    contacted.add(teacher_id)
    counts = {"group": group, "enrolled": on_caseload, "active": active, "contacted": contacted}
    return SchoolRoster(
        teachers=SchoolTeachers(rostered=len(rostered), enrolled=len(enrolled)),
        participation={key: len(teachers) for key, teachers in counts.items()},
        challenges=challenges,
    )


def school_teachers(district: District, school: School, *, today: datetime.date | None = None) -> SchoolTeachers:
    """The school's rostered teachers, and those of them in the district's running programs: the group of
    `challenge_categories` (one query)."""
    running = current_enrollments(district, today or timezone.localdate()).filter(teacher=OuterRef("pk"))
    teachers = scoping.district_rows(school.district_id, Teacher).filter(school=school)
    return SchoolTeachers(**teachers.aggregate(rostered=Count("pk"), enrolled=Count("pk", filter=Q(Exists(running)))))


def percent(part: Figure, whole: int) -> Figure:
    """`part` as a whole-number percentage of `whole` (suppressed when `part` is)."""
    if part.suppressed or not whole:
        return Figure(None if part.suppressed else 0, part.k)
    return Figure(round(100 * part.value / whole), part.k)


@dataclass(frozen=True)
class ChallengeRow:
    label: str
    open: Figure
    closed: Figure


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    challenges: Figure


CATEGORY_LABELS = [*ChallengeCategory.choices, ("", "Not chosen yet (still identifying)")]


def _school_challenges(school: School, programs: QuerySet[Program] | list[int]) -> list[tuple]:
    """The school's challenges in `programs` (a queryset of them, or their ids), counted per category, status,
    goal, program and teacher: `(category, status, goal_id, program_id, teacher_id, challenges)` rows (1 query),
    a few per teacher, which `_categories` and `_goal_rows` add up (counting each figure's distinct teachers)."""
    challenges = Challenge.objects.filter(enrollment__teacher__school=school, enrollment__program__in=programs)
    rows = challenges.values_list(
        "category", "status", "goal_id", "enrollment__program_id", "enrollment__teacher_id"
    ).annotate(n=Count("pk"))
    return list(rows.order_by())


def _categories(rows: list[tuple], *, k: int, group: int) -> list[ChallengeRow]:
    """`_school_challenges` rows by category, open and closed, each cell suppressed by its own teachers and
    `group`."""
    challenges: dict[tuple[str, bool], int] = defaultdict(int)
    teachers: dict[tuple[str, bool], set[int]] = defaultdict(set)
    for category, status, _, _, teacher, n in rows:
        cell = (category, status == Status.CLOSED)
        challenges[cell] += n
        teachers[cell].add(teacher)

    def cell(category: str, closed: bool) -> Figure:
        key = (category, closed)
        return suppress(challenges.get(key, 0), teachers=len(teachers.get(key, ())), k=k, group=group)

    return [
        ChallengeRow(label=label, open=cell(value, False), closed=cell(value, True)) for value, label in CATEGORY_LABELS
    ]


def _goals(district: District, school: School) -> QuerySet[Goal]:
    """The goals the school's challenges may align to: its own and the district's (with their school: a goal's
    name says it)."""
    goals = scoping.district_rows(district, Goal).filter(Q(school=school) | Q(school=None))
    return goals.select_related("school")


def _goal_rows(goals: QuerySet[Goal], rows: list[tuple], program_ids: set[int], *, k: int, group: int) -> list[GoalRow]:
    """Per goal, the `_school_challenges` rows of `program_ids` aligned to it, suppressed by their teachers and
    `group`."""
    goals = list(goals)
    if not goals:  # nothing to count the rows for
        return []
    challenges: dict[int, int] = defaultdict(int)
    teachers: dict[int, set[int]] = defaultdict(set)
    for _, _, goal, program, teacher, n in rows:
        if goal is not None and program in program_ids:
            challenges[goal] += n
            teachers[goal].add(teacher)
    return [
        GoalRow(
            goal=goal,
            challenges=suppress(challenges.get(goal.pk, 0), teachers=len(teachers.get(goal.pk, ())), k=k, group=group),
        )
        for goal in goals
    ]


def goal_alignment(district: District, school: School, programs: list[Program], *, group: int) -> list[GoalRow]:
    """Challenges aligned to each goal the school's challenges may align to (its own and the district's), in
    `programs` at `school`; each suppressed by its teachers and `group` (2 queries: the school's challenges, the
    goals)."""
    program_ids = {p.pk for p in programs}
    rows = _school_challenges(school, list(program_ids))
    return _goal_rows(_goals(district, school), rows, program_ids, k=district.suppression_k, group=group)


def challenge_categories(
    district: District, school: School, *, today: datetime.date | None = None, group: int | None = None
) -> list[ChallengeRow]:
    """Challenges by category, open and closed, in the district's running programs; each cell suppressed by
    its own teachers and the school's `group` (`school_teachers(...).enrolled`, read here when not given).
    One query (two without `group`)."""
    today = today or timezone.localdate()
    if group is None:
        group = school_teachers(district, school, today=today).enrolled
    rows = _school_challenges(school, current_programs(district, today))
    return _categories(rows, k=district.suppression_k, group=group)


def school_challenges(
    district: District, school: School, programs: list[Program], *, roster: SchoolRoster, goals_group: int
) -> tuple[list[ChallengeRow], list[GoalRow]]:
    """`challenge_categories` and `goal_alignment(district, school, programs, group=goals_group)` of the school of
    `roster` (its `school_roster`, which read the challenges; `programs` among the running ones): 1 query, the
    goals."""
    k = district.suppression_k
    goals = _goal_rows(_goals(district, school), roster.challenges, {p.pk for p in programs}, k=k, group=goals_group)
    return _categories(roster.challenges, k=k, group=roster.teachers.enrolled), goals


# --- per-coach progress (district admins only) ----------------------------------------------------

CASELOAD_RECOMMENDED, CASELOAD_WARNING = 10, 16


def district_coaches(
    district: District, *, programs: list[Program] | None = None, school: School | None = None
) -> QuerySet[User]:
    """The district's coaches, by name: the rows of the per-coach table (paginated by the view).

    With `programs`, the coaches of those programs: named by one of them, or with a teacher enrolled in one
    (a coach taken off a program keeps the year's figures of their ended caseload); with `school` too, only
    the coaches with a teacher of `school` enrolled in them. The filters are subqueries of the same query.
    """
    # Chosen among the district's coach memberships (one per user), each probed by the filters' subqueries: the
    # page's count reads no user row, and its page reads the users by name until it has its rows.
    memberships = scoping.district_rows(district, Membership).filter(role=Role.COACH)
    if programs is not None:
        ids = [p.pk for p in programs]
        enrolled = Enrollment.objects.filter(coach=OuterRef("user"), program__in=ids)
        if school is not None:
            memberships = memberships.filter(Exists(enrolled.filter(teacher__school=school)))
        else:
            named = Program.coaches.through.objects.filter(user=OuterRef("user"), program__in=ids)
            memberships = memberships.filter(Exists(named) | Exists(enrolled))
    return User.objects.filter(pk__in=memberships.values("user")).order_by("full_name", "email")


def district_size(district: District, schools: Sized) -> tuple[int, int]:
    """The district's schools and coaches: at least as many as the rows of its dashboard's CSV, which lists the
    schools and coaches of the programs shown (`exports.is_large`). `schools`: the district's schools, read
    already (the filters read them); the coaches are counted over indexed rows (1 query, whatever the filters)."""
    return len(schools), scoping.district_rows(district, Membership).filter(role=Role.COACH).count()


def program_schools(schools: QuerySet[School], programs: list[Program]) -> QuerySet[School]:
    """The schools of `schools` that take part in `programs`: named by one of them, or with a teacher enrolled in
    one (a school taken off a program keeps the year's figures of its teachers). By name; one query when read."""
    ids = [p.pk for p in programs]
    named = Program.schools.through.objects.filter(school=OuterRef("pk"), program__in=ids)
    enrolled = Enrollment.objects.filter(teacher__school=OuterRef("pk"), program__in=ids)
    return schools.filter(Exists(named) | Exists(enrolled)).order_by("name")


@dataclass(frozen=True)
class CoachRow:
    coach: User
    caseload: Figure  # teachers on the coach's caseload now (never suppressed: the admin assigns it)
    over: bool  # more than CASELOAD_WARNING (shown only when the caseload itself is shown)
    contacted: Figure  # of them contacted in the last CONTACT_DAYS days
    cycles: Figure  # cycles completed in the period
    hours: Figure  # 1:1 coaching hours in the period
    standards: Figure  # standards (of 18) the coach's tagged work exercised in the period


def coach_rows(
    district: District,
    coaches: list[User],
    *,
    programs: list[Program],
    period: Period,
    school: School | None = None,
    today: datetime.date | None = None,
) -> list[CoachRow]:
    """One row per coach, each figure suppressed over the coach's teachers (3 queries for any page).

    Every figure is of the coach's work in `programs` (at `school`): their teachers enrolled in them (ended
    enrollments included: the row's suppression group), those on the caseload now, and the period's 1:1 hours
    and cycles. `standards` counts the standards (of 18) tagged in the period on the coach's 1:1 work in
    `programs` (steps, reflections, touchpoints) and on their school-wide work (activities, which belong to no
    program); with `school`, on the 1:1 work with that school's teachers in `programs` only.
    """
    today = today or timezone.localdate()
    coach_ids, program_ids = [c.pk for c in coaches], [p.pk for p in programs]
    open_programs = [p.pk for p in programs if p.ends_on >= today]
    adapt = connection.ops.adapt_datefield_value
    # Read with cursors (`_aggregate`): the ORM takes twice as long to build these three queries as the database takes
    # to answer them. Each is over the coaches' rows in `programs` (`mine`), and at `school` its teachers' only.
    coaches_in = f"coach_id IN ({sql.placeholders(coach_ids)})"
    programs_in = f"program_id IN ({sql.placeholders(program_ids)})"
    mine, ids = f"{coaches_in} AND {programs_in}", [*coach_ids, *program_ids]
    teachers_there, there = "", []
    if school is not None:
        teachers_there = f" AND teacher_id IN (SELECT id FROM {sql.table(Teacher)} WHERE school_id = %s)"  # noqa: S608
        there = [school.pk]
    # On a caseload now: coaching.models.active_enrollment, the program's end read here.
    on_caseload = f"ends_on IS NULL AND program_id IN ({sql.placeholders(open_programs)})"
    contacted = f"{on_caseload} AND last_contact_on >= %s"
    caseloads = _aggregate(
        Enrollment, "coach_id",
        {
            "group": ("COUNT(DISTINCT teacher_id)", []),  # the coach's teachers, ended enrollments included
            "n": (f"COUNT(DISTINCT CASE WHEN {on_caseload} THEN teacher_id END)", open_programs),
            "contacted": (
                f"COUNT(DISTINCT CASE WHEN {contacted} THEN teacher_id END)",
                [*open_programs, adapt(today - datetime.timedelta(days=CONTACT_DAYS))],
            ),
        },
        mine + teachers_there, [*ids, *there],
    )  # fmt: skip
    months, months_params = _months_where(period)
    minutes = " + ".join(ONE_TO_ONE_COLUMNS)
    coached = " OR ".join(f"{column} > 0" for column in ONE_TO_ONE_COLUMNS)
    work = _aggregate(
        EnrollmentMonth, "coach_id",
        {
            "minutes": (f"SUM({minutes})", []),
            "coached": (f"COUNT(DISTINCT CASE WHEN {coached} THEN teacher_id END)", []),
            "cycles_n": ("SUM(cycles_completed)", []),
        },
        mine + (" AND school_id = %s" if school else "") + months, [*ids, *there, *months_params],
    )  # fmt: skip
    # The tags of the 1:1 work in the programs and of the school-wide work (no program), from a few CoachStandardYear
    # rows per coach; at `school`, of the 1:1 work with its teachers only: the CoachStandardMonth rows of the coaches'
    # enrollments there.
    standards = {"n": ("COUNT(DISTINCT standard_id)", [])}
    if school is None:
        within, within_params = _within(period, sql.column(CoachStandardYear, "months"))
        tagged = f"{coaches_in} AND ({programs_in} OR program_id IS NULL) AND {within}"
        coverage = _aggregate(CoachStandardYear, "coach_id", standards, tagged, [*ids, *within_params])
    else:
        enrollments = f"SELECT id FROM {sql.table(Enrollment)} WHERE {mine}{teachers_there}"  # noqa: S608
        tagged = f"{coaches_in} AND enrollment_id IN ({enrollments})"
        params = [*coach_ids, *ids, *there, *months_params]
        coverage = _aggregate(CoachStandardMonth, "coach_id", standards, tagged + months, params)
    k = district.suppression_k
    rows = []
    for coach in coaches:
        c, w = caseloads.get(coach.pk, {}), work.get(coach.pk, {})
        size, coached, g = c.get("n", 0), w.get("coached", 0), c.get("group", 0)
        rows.append(
            CoachRow(
                coach=coach,
                caseload=Figure(size, k),  # shown as it is: the admin assigns caseloads (see the docstring)
                over=size > CASELOAD_WARNING,
                contacted=count(c.get("contacted", 0), k=k, group=g),
                cycles=suppress(w.get("cycles_n") or 0, teachers=coached, k=k, group=g),
                hours=suppress(round((w.get("minutes") or 0) / 60, 1), teachers=coached, k=k, group=g),
                standards=suppress(coverage.get(coach.pk, {}).get("n", 0), teachers=coached, k=k, group=g),
            )
        )
    return rows


# --- the coach's own dashboard (own data only: nothing to suppress) ------------------------------------


def coach_programs(user: User, today: datetime.date) -> list[Program]:
    """The running programs the coach works in (their school year frames the coach's dashboard)."""
    return list(scoping.in_district(user.membership, Program).filter(coaches=user).running(today))


# What `cadence_health` shows of each caseload entry, read with it: CoachRecords(user, select_related=CADENCE_RELATED).
CADENCE_RELATED = ("teacher", "cadence")


@dataclass(frozen=True)
class Cadence:
    enrollment: Enrollment
    plan_to_visit: int | None  # days, in the latest cycle
    visit_to_debrief: int | None
    since_contact: int | None  # days since the last coaching contact

    @property
    def on_track(self) -> bool:
        return self.since_contact is not None and self.since_contact <= CONTACT_DAYS


def cadence_health(records: scoping.CoachRecords, *, today: datetime.date | None = None) -> list[Cadence]:
    """Per teacher on the coach's caseload (`records.entries`, read with `CADENCE_RELATED`): days plan meeting →
    visit → debrief in the latest cycle (the read model's EnrollmentCadence; none without a row), and days since
    the last contact, against the model's ~2-week aim. No query: whatever the length of the coach's history, the
    caseload's one query reads it all."""
    today = today or timezone.localdate()
    result = []
    for enrollment in records.entries:
        cadence = getattr(enrollment, "cadence", None)  # None: neither gap is known (select_related cached it)
        contact = enrollment.last_contact_on
        result.append(
            Cadence(
                enrollment=enrollment,
                plan_to_visit=None if cadence is None else cadence.plan_to_visit,
                visit_to_debrief=None if cadence is None else cadence.visit_to_debrief,
                since_contact=(today - contact).days if contact else None,
            )
        )
    return result


def coach_challenges_by_status(records: scoping.CoachRecords) -> list[tuple[str, int]]:
    """The coach's challenges by step of the model (closed last), one query."""
    rows = records(Challenge).values("status").annotate(n=Count("pk")).order_by()
    counts = {row["status"]: row["n"] for row in rows}
    return [(label, counts.get(value, 0)) for value, label in Status.choices]


@dataclass(frozen=True)
class TimeMonth:
    month: datetime.date
    one_to_one: float  # hours: cycle steps, reflections, touchpoints
    school_wide: float  # principal meetings, PLCs and staff meetings, stories shared
    learning: float  # PD attended, PLN contributions (standard 4A/4B)

    @property
    def total(self) -> float:
        return round(self.one_to_one + self.school_wide + self.learning, 1)


LEARNING = (Activity.Kind.PD, Activity.Kind.PLN)


def coach_time(rows: QuerySet, period: Period, months: dict[datetime.date, dict]) -> list[TimeMonth]:
    """Hours by kind of work (standard 3D) month by month: 1:1 from the `month_sums` of the coach's EnrollmentMonth
    rows (`months`), the rest from the coach's activity rollups (`rows`: CoachMonth; 1 query)."""
    other: dict[tuple, int] = {}
    activities = period.rollups(rows).exclude(kind=Activity.Kind.TOUCHPOINT)
    for row in activities.values("month", "kind").annotate(m=Sum("minutes")).order_by():
        group = "learning" if row["kind"] in LEARNING else "school_wide"
        other[(row["month"], group)] = other.get((row["month"], group), 0) + row["m"]
    return [
        TimeMonth(
            month=month,
            one_to_one=round((months.get(month, {}).get("minutes") or 0) / 60, 1),
            school_wide=round(other.get((month, "school_wide"), 0) / 60, 1),
            learning=round(other.get((month, "learning"), 0) / 60, 1),
        )
        for month in period.months
    ]


@dataclass(frozen=True)
class CoverageRow:
    standard: Standard
    cells: list[tuple[int, int]]  # (uses, shade 0-4) per month of the period
    total: int

    @property
    def cells_html(self) -> SafeString:
        """The row's cells of the heat map, written once (18 standards by 12 months: 216 cells a page). Two
        integers a cell (`:d` refuses anything else): nothing to escape, so no format_html per cell."""
        cells = "".join(f'<td class="heat-{shade}">{uses:d}</td>' for uses, shade in self.cells)
        return mark_safe(cells)  # noqa: S308


def standards_coverage(rows: QuerySet, period: Period) -> list[CoverageRow]:
    """A heat map of the 18 standards by month from the tags on the coach's work (2 queries)."""
    uses = {
        (row["standard"], row["month"]): row["n"]
        for row in period.rollups(rows).values("standard", "month").annotate(n=Sum("uses")).order_by()
    }
    top = max(uses.values(), default=0)
    months = period.months
    result = []
    for standard in Standard.objects.order_by("code"):
        cells = [uses.get((standard.pk, month), 0) for month in months]
        shades = [(n, 0 if not n else min(4, 1 + (3 * n) // max(top, 1))) for n in cells]
        result.append(CoverageRow(standard=standard, cells=shades, total=sum(cells)))
    return result


@dataclass(frozen=True)
class CoachSummary:
    teachers: int  # on the caseload now
    cycles: int
    resolved: int


def coach_summary(months: dict[datetime.date, dict], cadence: list[Cadence]) -> CoachSummary:
    """The headline figures, from the `month_sums` of the coach's EnrollmentMonth rows and `cadence_health` (one
    row per teacher on the caseload)."""
    return CoachSummary(
        teachers=len(cadence),
        cycles=sum(row["cycles_n"] or 0 for row in months.values()),
        resolved=sum(row["resolved_n"] or 0 for row in months.values()),
    )


# --- impact stories ---------------------------------------------------------------------------------


def shared_stories(
    membership: Membership,
    *,
    school: School | None = None,
    programs: list[Program] | None = None,
    period: Period | None = None,
) -> QuerySet[ImpactStory]:
    """The stories the teacher agreed to share with this leader's audience (accounts.scoping decides), at `school`,
    of a teacher enrolled in `programs` and told within `period`'s months, each when given (a dashboard's filters:
    the stories of the report it prints); with their teacher, coach and (when `school` is not given) school, each
    with the fields a story's card shows only."""
    stories = scoping.shared_stories(membership, ImpactStory, school=school)
    if programs is not None:
        stories = stories.filter(enrollment__program__in=[p.pk for p in programs])
    if period is not None:
        stories = stories.filter(period.days("told_on"))
    # What a story's card shows (partials/story.html), and no more: not the coach's password hash, nor the teacher's
    # other columns (a third of the columns and of the query's compiling).
    shown = ["title", "story", "told_on", "enrollment__teacher__name", "coach__full_name", "coach__email"]
    if school is None:
        return stories.select_related("enrollment__teacher__school", "coach").only(
            *shown, "enrollment__teacher__school__name"
        )
    return stories.select_related("enrollment__teacher", "coach").only(*shown)


# --- data rights and the audit log -----------------------------------------------------------------


def exports(district: District) -> QuerySet[DataExport]:
    """The district's exports without their content (which may be megabytes each)."""
    return scoping.district_rows(district, DataExport).defer("content").select_related("requested_by")


def teacher_search(district: District, q: str) -> QuerySet[Teacher]:
    return scoping.district_rows(district, Teacher).filter(name__icontains=q).select_related("school")[:25]


def erasure_counts(teacher: Teacher) -> dict[str, int]:
    """What erasing this teacher deletes, in the words of the confirmation page."""
    enrollment = {"enrollment__teacher": teacher}
    return {
        "coaching enrollments": teacher.enrollments.count(),
        "challenges": Challenge.objects.filter(**enrollment).count(),
        "cycle steps": Step.objects.filter(cycle__challenge__enrollment__teacher=teacher).count(),
        "reflections": Reflection.objects.filter(challenge__enrollment__teacher=teacher).count(),
        "ITU ratings": ITURating.objects.filter(**enrollment).count(),
        "ITU scores": ITUScore.objects.filter(rating__enrollment__teacher=teacher).count(),
        "informal touchpoints": Activity.objects.filter(**enrollment).count(),
        "impact stories": ImpactStory.objects.filter(**enrollment).count(),
    }


def audit_events(district: District, *, action: str = "") -> QuerySet[AuditEvent]:
    events = scoping.district_rows(district, AuditEvent).select_related("actor")
    return events.filter(action=action) if action else events


# --- a coach's growth: self-assessments beside the coverage the tags show -------------------------------


def self_assessments(user: User) -> QuerySet:
    """The coach's own self-assessments, newest first, with their ratings (2 queries)."""
    return scoping.coach_records(user, CoachSelfAssessment).prefetch_related("ratings")


def shared_self_assessments(membership: Membership) -> QuerySet:
    """Self-assessments coaches shared with this district admin (nobody else gets any), newest first."""
    assessments = scoping.shared_records(membership, CoachSelfAssessment)
    return assessments.select_related("coach").order_by("-assessed_on", "-created_at")


def numbered(assessments: QuerySet) -> QuerySet:
    """`assessments` (a coach's, or those shared with a leader), each with `number`, its place by when it was saved
    among those of `assessments` of the same coach and date, and `of_day`, how many those are: two of one day are
    "27 Nov 2026 (1)" and "(2)" (CoachSelfAssessment.same_day). Windows over the filtered rows, in the same query:
    slice or page it, but filter it on nothing narrower than a coach and a date."""
    day = {"partition_by": [F("coach_id"), F("assessed_on")]}
    return assessments.annotate(
        number=Window(RowNumber(), order_by=[F("created_at").asc(), F("pk").asc()], **day),
        of_day=Window(Count("pk"), **day),
    )


def number_of_its_day(assessments: QuerySet, assessment: CoachSelfAssessment) -> CoachSelfAssessment:
    """Give `assessment` its `number` and `of_day` among `assessments` (the viewer's), as `numbered` does (1 query)."""
    same_day = numbered(assessments.filter(coach_id=assessment.coach_id, assessed_on=assessment.assessed_on))
    for pk, number, of_day in same_day.values_list("pk", "number", "of_day"):
        if pk == assessment.pk:
            assessment.number, assessment.of_day = number, of_day
    return assessment


@dataclass(frozen=True)
class GrowthRow:
    standard: Standard
    ratings: list[int | None]  # per assessment shown, oldest first
    tagged: int  # uses in tagged work over the period


def growth(assessments: list, coverage: list[CoverageRow]) -> list[GrowthRow]:
    """Per standard: the self-ratings of `assessments` (the coach's own, oldest first) beside the uses the tags
    show (1 query: the ratings as numbers, not 72 rating rows with their evidence)."""
    ratings: dict[int, dict[int, int]] = {a.pk: {} for a in assessments}
    rows = SelfAssessmentRating.objects.filter(assessment__in=list(ratings)).order_by()
    for assessment_id, standard_id, rating in rows.values_list("assessment_id", "standard_id", "rating"):
        ratings[assessment_id][standard_id] = rating
    by_assessment = [ratings[a.pk] for a in assessments]
    return [
        GrowthRow(standard=row.standard, ratings=[a.get(row.standard.pk) for a in by_assessment], tagged=row.total)
        for row in coverage
    ]


@dataclass(frozen=True)
class SchoolHeadline:
    school: School
    headline: ITUHeadline


def itu_by_school(district: District, figures: list[SchoolFigures], levels: Levels) -> list[SchoolHeadline]:
    """Per school (the rows of `figures`, whose `group` is the school's suppression group): teachers rated
    twice, and how many of them rose (one query for the page of schools; none without schools)."""
    schools, groups = [row.school for row in figures], {row.school.pk: row.group for row in figures}
    if levels.two is not None:  # each program's headline row, added up (`_school_rows`)
        per_school = {}
        columns = ("school_id", "teachers", "rose")
        for school_id, rated, rose in _school_rows(
            SchoolITU, columns, levels.two, list(groups), " AND indicator = %s", [SchoolITU.HEADLINE]
        ):
            before = per_school.get(school_id, (0, 0))
            per_school[school_id] = (before[0] + rated, before[1] + rose)
    else:
        deltas = (
            EnrollmentITU.objects.filter(program_id__in=[p.pk for p in levels.programs], school_id__in=groups)
            .filter(latest_frequency__isnull=False)
            .values("school_id", "teacher_id")
            .annotate(delta=Sum(F("latest_frequency") + F("latest_proficiency") - F("baseline_frequency")
                                - F("baseline_proficiency")))
            .order_by()
        )  # fmt: skip
        per_school = {}
        for row in deltas:
            rated, rose = per_school.get(row["school_id"], (0, 0))
            per_school[row["school_id"]] = (rated + 1, rose + (row["delta"] > 0))
    k = district.suppression_k
    return [
        SchoolHeadline(
            school=school, headline=_headline(*per_school.get(school.pk, (0, 0)), k=k, group=groups[school.pk])
        )
        for school in schools
    ]
