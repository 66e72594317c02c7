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

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from accounts import scoping
from accounts.models import AuditEvent, District, Membership, Role, School, User
from coaching.models import (
    Activity,
    Challenge,
    ChallengeCategory,
    Enrollment,
    ImpactStory,
    ITURating,
    ITUScore,
    Program,
    Reflection,
    Step,
    Teacher,
    active_enrollment,
)
from coaching.selectors import CONTACT_DAYS
from dashboard.models import DataExport

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


def _by_school(rows) -> dict[int, dict]:
    return {row.pop("at_school"): row for row in rows}


def _participation(enrollments: QuerySet[Enrollment], today: datetime.date) -> dict[int, dict]:
    """Per school: its teachers (the group every figure of the row is over), those on a caseload now,
    and how many of them were contacted lately."""
    on_caseload = active_enrollment()
    contacted = on_caseload & Q(last_contact_on__gte=today - datetime.timedelta(days=CONTACT_DAYS))
    return _by_school(
        enrollments.values(at_school=F("teacher__school"))
        .annotate(
            group=Count("teacher", distinct=True),  # the school's teachers, ended enrollments included
            enrolled=Count("teacher", distinct=True, filter=on_caseload),
            contacted=Count("teacher", distinct=True, filter=contacted),
        )
        .order_by()
    )


def _steps(enrollments: QuerySet[Enrollment], now: datetime.datetime) -> dict[int, dict]:
    """Per school: done steps of each kind (and their teachers), minutes, and teachers active lately."""
    teacher = "cycle__challenge__enrollment__teacher"
    since = now - datetime.timedelta(days=ACTIVE_DAYS)
    recent = Q(starts_at__gte=since) & active_enrollment("cycle__challenge__enrollment")
    per_kind = {}
    for kind in Step.Kind.values:
        per_kind[f"{kind}_steps"] = Count("pk", filter=Q(kind=kind))
        per_kind[f"{kind}_teachers"] = Count(teacher, distinct=True, filter=Q(kind=kind))
    return _by_school(
        Step.objects.filter(done=True, cycle__challenge__enrollment__in=enrollments)
        .values(at_school=F(f"{teacher}__school"))
        .annotate(minutes=Sum("minutes"), active=Count(teacher, distinct=True, filter=recent), **per_kind)
        .order_by()
    )


def _minutes(queryset: QuerySet, enrollment_path: str) -> dict[int, int]:
    rows = queryset.values(at_school=F(f"{enrollment_path}__teacher__school")).annotate(minutes=Sum("minutes"))
    return {row["at_school"]: row["minutes"] for row in rows.order_by()}


def _coached_teachers(enrollments: QuerySet[Enrollment]) -> dict[int, int]:
    """Per school: teachers with any 1:1 coaching time (a done step, a reflection or a touchpoint)."""
    steps = Step.objects.filter(done=True, cycle__challenge__enrollment__in=enrollments)
    reflections = Reflection.objects.filter(challenge__enrollment__in=enrollments)
    touchpoints = Activity.objects.filter(enrollment__in=enrollments)
    coached = (
        Q(pk__in=steps.values("cycle__challenge__enrollment__teacher"))
        | Q(pk__in=reflections.values("challenge__enrollment__teacher"))
        | Q(pk__in=touchpoints.values("enrollment__teacher"))
    )
    rows = Teacher.objects.filter(coached).values("school").annotate(n=Count("pk")).order_by()
    return {row["school"]: row["n"] for row in rows}


def _school_wide(district: District, since: datetime.date) -> dict[int, dict]:
    activities = scoping.district_rows(district, Activity).filter(enrollment=None, held_on__gte=since)
    return _by_school(
        activities.values(at_school=F("school")).annotate(minutes=Sum("minutes"), count=Count("pk")).order_by()
    )


@dataclass(frozen=True)
class SchoolFigures:
    school: School
    enrolled: Figure
    active: Figure  # teachers with a done step in the last ACTIVE_DAYS days
    contacted: Figure  # teachers contacted in the last CONTACT_DAYS days
    coaching_minutes: Figure  # done steps, reflections and touchpoints
    steps: list[tuple[str, Figure]]  # (kind label, done steps of that kind)
    school_wide_minutes: int
    school_wide_count: int


def school_figures(
    district: District, schools: list[School], *, now: datetime.datetime | None = None
) -> list[SchoolFigures]:
    """Participation, cadence, coaching time and steps by kind for each school, suppressed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    enrollments = current_enrollments(district, today).filter(teacher__school__in=[s.pk for s in schools])
    since = current_programs(district, today).order_by("starts_on").values_list("starts_on", flat=True).first()
    participation, steps = _participation(enrollments, today), _steps(enrollments, now)
    reflections = _minutes(Reflection.objects.filter(challenge__enrollment__in=enrollments), "challenge__enrollment")
    touchpoints = _minutes(Activity.objects.filter(enrollment__in=enrollments), "enrollment")
    coached = _coached_teachers(enrollments)
    school_wide = _school_wide(district, since) if since else {}
    k = district.suppression_k
    result = []
    for school in schools:
        p, s, w = participation.get(school.pk, {}), steps.get(school.pk, {}), school_wide.get(school.pk, {})
        minutes = s.get("minutes", 0) + reflections.get(school.pk, 0) + touchpoints.get(school.pk, 0)
        group = p.get("group", 0)
        by_kind = [
            (label, suppress(s.get(f"{kind}_steps", 0), teachers=s.get(f"{kind}_teachers", 0), k=k, group=group))
            for kind, label in Step.Kind.choices
        ]
        result.append(
            SchoolFigures(
                school=school,
                enrolled=count(p.get("enrolled", 0), k=k, group=group),
                active=count(s.get("active", 0), k=k, group=group),
                contacted=count(p.get("contacted", 0), k=k, group=group),
                coaching_minutes=suppress(minutes, teachers=coached.get(school.pk, 0), k=k, group=group),
                school_wide_minutes=w.get("minutes", 0),
                school_wide_count=w.get("count", 0),
                steps=by_kind,
            )
        )
    return result


@dataclass(frozen=True)
class ChallengeRow:
    label: str
    open: Figure
    closed: Figure


def challenge_categories(
    district: District, school: School, *, today: datetime.date | None = None
) -> list[ChallengeRow]:
    """Challenges by category, open and closed; each cell suppressed by its own teachers and the school's."""
    today = today or timezone.localdate()
    teacher, closed = "enrollment__teacher", Q(status=Status.CLOSED)
    enrollments = current_enrollments(district, today).filter(teacher__school=school)
    group = enrollments.values("teacher").distinct().count()
    rows = (
        Challenge.objects.filter(enrollment__in=enrollments)
        .values("category")
        .annotate(
            open=Count("pk", filter=~closed),
            open_teachers=Count(teacher, distinct=True, filter=~closed),
            closed=Count("pk", filter=closed),
            closed_teachers=Count(teacher, distinct=True, filter=closed),
        )
        .order_by()
    )
    cells = {row["category"]: row for row in rows}
    k = district.suppression_k

    def cell(category: str, which: str) -> Figure:
        row = cells.get(category, {})
        return suppress(row.get(which, 0), teachers=row.get(f"{which}_teachers", 0), k=k, group=group)

    labels = [*ChallengeCategory.choices, ("", "Not chosen yet (still identifying)")]
    return [
        ChallengeRow(label=label, open=cell(value, "open"), closed=cell(value, "closed")) for value, label in labels
    ]


# --- per-coach progress (district admins only) ----------------------------------------------------


@dataclass(frozen=True)
class CoachProgress:
    coach: User
    caseload: int  # active enrollments: shown as it is (the admin assigns caseloads)
    steps_done: Figure  # in the last ACTIVE_DAYS days
    challenges: list[Figure]  # per status, in Challenge.Status order


def coach_progress(district: District, *, now: datetime.datetime | None = None) -> list[CoachProgress]:
    """Each coach's caseload, steps done lately and challenges per status, over the running programs.

    Every figure but the caseload size is suppressed by its own teachers and by the coach's group
    (every teacher enrolled with them in a running program, ended enrollments included), so a coach
    with fewer than k teachers shows "fewer than k" throughout.
    """
    now = now or timezone.now()
    enrollments = current_enrollments(district, timezone.localdate(now))
    coaches = scoping.district_rows(district, User).filter(membership__role=Role.COACH)
    groups = enrollments.values("coach").annotate(
        caseload=Count("pk", filter=active_enrollment()), teachers=Count("teacher", distinct=True)
    )
    teacher = "cycle__challenge__enrollment__teacher"
    steps = Step.objects.filter(
        done=True,
        starts_at__gte=now - datetime.timedelta(days=ACTIVE_DAYS),
        cycle__challenge__enrollment__in=enrollments,
    ).values(coach=F("cycle__challenge__enrollment__coach"))
    challenges = Challenge.objects.filter(enrollment__in=enrollments).values("status", coach=F("enrollment__coach"))
    group = {row["coach"]: row for row in groups.order_by()}
    done = {row["coach"]: row for row in steps.annotate(n=Count("pk"), t=Count(teacher, distinct=True)).order_by()}
    by_status = {
        (row["coach"], row["status"]): row
        for row in challenges.annotate(n=Count("pk"), t=Count("enrollment__teacher", distinct=True)).order_by()
    }
    k = district.suppression_k

    def figure(row: dict | None, teachers: int) -> Figure:
        return suppress(row["n"] if row else 0, teachers=row["t"] if row else 0, k=k, group=teachers)

    rows = []
    for coach in coaches:
        g = group.get(coach.pk, {"caseload": 0, "teachers": 0})
        rows.append(
            CoachProgress(
                coach=coach,
                caseload=g["caseload"],
                steps_done=figure(done.get(coach.pk), g["teachers"]),
                challenges=[figure(by_status.get((coach.pk, status)), g["teachers"]) for status in Status.values],
            )
        )
    return rows


# --- impact stories ---------------------------------------------------------------------------------


def shared_stories(membership: Membership, *, school: School | None = None) -> QuerySet[ImpactStory]:
    """The stories the teacher agreed to share with this leader's audience (accounts.scoping decides)."""
    stories = scoping.shared_stories(membership, ImpactStory, school=school)
    return stories.select_related("enrollment__teacher__school", "coach")


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
