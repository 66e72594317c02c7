"""Reads of the district pages. Each starts from the viewer's district; query counts do not grow with data.

None of these reads a teacher's coaching content: caseloads are enrollments (who coaches whom), which the
confidentiality table lets a district admin see, and a goal's use counts the challenges aligned to it
(a number per program, small ones shown as "fewer than k"), never which or whose.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts import scoping
from accounts.models import District, Membership, Role, School, User
from coaching.models import Challenge, Enrollment, Goal, Program, Strategy, Teacher, Tool, active_enrollment
from config import sql
from districts.models import SignInProvider


def _active():
    """Active enrollments as a filter from a program or coach (built per call: "active" depends on today)."""
    return active_enrollment("enrollments")


def active_coaches(district: District) -> QuerySet[User]:
    return scoping.district_rows(district, User).filter(membership__role=Role.COACH, is_active=True)


def programs(membership: Membership) -> QuerySet[Program]:
    """Programs with their schools and coaches; a principal sees those of their own schools only."""
    qs = scoping.at_visible_schools(membership, Program).prefetch_related(
        Prefetch("schools", queryset=scoping.schools(membership)),
        Prefetch("coaches", queryset=User.objects.order_by("full_name")),
    )
    if membership.is_district_admin:
        qs = qs.annotate(active_count=Count("enrollments", filter=_active()))
    return qs


def district_goals(district: District) -> QuerySet[Goal]:
    return scoping.district_rows(district, Goal).filter(school__isnull=True).order_by("title")


@dataclass
class GoalUse:
    """Where a goal is used: the programs that work towards it, and how many challenges align to it
    in each (`aligned`, a count, shown as “fewer than k” under the district's threshold: coaching is
    confidential, a small count could point to one teacher)."""

    goal: Goal
    programs: list[tuple[Program, str]]
    aligned: int  # in all, for the rule that a goal with aligned challenges stays

    @property
    def removable(self) -> bool:
        return self.aligned == 0


def goal_use(goal: Goal) -> GoalUse:
    """A district goal is used by every program of the district, a school goal by those of its school."""
    programs = scoping.district_rows(goal.district_id, Program).order_by("-starts_on", "name")
    if goal.school_id:
        programs = programs.filter(schools=goal.school_id)
    per_program = dict(
        Challenge.objects.filter(goal=goal).values_list("enrollment__program").annotate(n=Count("pk")).order_by()
    )
    k = goal.district.suppression_k
    return GoalUse(
        goal=goal,
        programs=[(program, _few(per_program.get(program.pk, 0), k)) for program in programs],
        aligned=sum(per_program.values()),
    )


def _few(count: int, k: int) -> str:
    if count == 0:
        return "none"
    return f"fewer than {k}" if count < k else str(count)


def school_goals(membership: Membership) -> list[School]:
    """The schools whose goals this leader may change, each with its goals prefetched."""
    goals = Prefetch("goals", queryset=Goal.objects.order_by("title"))
    return list(scoping.schools(membership).prefetch_related(goals))


# --- caseloads ----------------------------------------------------------------------------------


def program_coaches(program: Program) -> QuerySet[User]:
    """The program's coaches by name, to page through (a count and a slice: two queries); `caseload_sizes` then
    counts a page's caseloads."""
    return program.coaches.order_by("full_name", "email")


def caseload_sizes(program: Program, coaches: Iterable[User]) -> dict[int, tuple[int, int]]:
    """The size of each coach's active caseload, by coach id: (in `program`, in all programs); a coach without an
    active enrollment is left out (read (0, 0)). One query over these coaches' active enrollments only, so a page
    of 25 costs the same in a program of a thousand coaches as in one of ten (no query for no coach). Read with a
    cursor (config.sql); active: coaching.models.active_enrollment, the programs' ends read with them."""
    ids = [coach.pk for coach in coaches]
    if not ids:
        return {}
    query = (
        f"SELECT e.coach_id, COUNT(CASE WHEN e.program_id = %s THEN 1 END), COUNT(*) FROM {sql.table(Enrollment)} e "  # noqa: S608
        f"INNER JOIN {sql.table(Program)} p ON p.id = e.program_id "
        f"WHERE e.coach_id IN ({sql.placeholders(ids)}) AND e.ends_on IS NULL AND p.ends_on >= %s GROUP BY e.coach_id"
    )
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute(query, [program.pk, *ids, today])
        return {coach: (in_program, total) for coach, in_program, total in cursor.fetchall()}


def assignable_coaches(program: Program, school: School | None = None) -> list[User]:
    """The program's coaches by name; with `school`, those who work there (their membership lists it)."""
    coaches = program.coaches.order_by("full_name", "email")
    return list(coaches.filter(membership__schools=school) if school else coaches)


def caseload_now(enrollment: Enrollment) -> Enrollment | None:
    """The teacher's active enrollment in `enrollment`'s program (its coach fetched), or None: where a teacher went
    after leaving a caseload (a move). Who coaches whom only, as the move and end pages show (no coaching content)."""
    rows = Enrollment.objects.filter(program=enrollment.program_id, teacher=enrollment.teacher_id).active()
    return rows.select_related("coach").first()


def caseload_size(coach: User) -> int:
    """Across every program: the workload the coach feels, and what their own caseload page shows."""
    return Enrollment.objects.filter(coach=coach).active().count()


def program_teachers(
    program: Program,
    *,
    school: School | None = None,
    subject: str = "",
    grade_band: str = "",
    unassigned: bool = False,
    q: str = "",
) -> QuerySet[Teacher]:
    """Teachers of the program's schools by name, narrowed by the filters, to page through (count and slice);
    `teacher_page` then reads a slice's rows. The `teacher_by_name` index gives them in order, so a page does
    not sort the district's teachers."""
    teachers = Teacher.objects.filter(school__programs=program).order_by("name", "pk")
    if school:
        teachers = teachers.filter(school=school)
    if subject:
        teachers = teachers.filter(subject__icontains=subject)
    if grade_band:
        teachers = teachers.filter(grade_band=grade_band)
    if unassigned:
        # NOT IN the program's active enrollments: one hash of them, probed per teacher in the name order
        # (a correlated NOT EXISTS probed the enrollments' index once per teacher, all of them when few are left).
        enrolled = Enrollment.objects.filter(program=program).active().values("teacher")
        teachers = teachers.exclude(pk__in=enrolled)
    if q:
        teachers = teachers.filter(Q(name__icontains=q) | Q(email__icontains=q))
    return teachers


class TeacherRow(NamedTuple):
    pk: int
    name: str
    subject: str
    grade_band: str
    school_name: str
    coach_name: str | None  # who coaches the teacher in the program now; None when no one does


def teacher_page(program: Program, teachers: QuerySet[Teacher]) -> list[TeacherRow]:
    """The rows of `teachers` (a page: a slice of `program_teachers`) in the same order. One query; the coach is
    looked up for the page's rows only, after the slice, so the 200th page costs what the first does. Read with a
    cursor (config.sql), as tuples: the ORM takes longer to build this query than the database takes to answer it,
    and 50 Teachers with their schools ~0.6 ms more. The coach's enrollment is active (not ended, in a program not
    over: coaching.models.active_enrollment, the program's end read here); assigning refuses a second one."""
    try:
        page, page_params = teachers.values("pk").query.sql_with_params()
    except EmptyResultSet:  # a page of no teacher (none matches the filters): no query, as the ORM does
        return []
    coach, coach_params = "NULL", []
    if program.ends_on >= timezone.localdate():
        coach = (
            f"(SELECT u.full_name FROM {sql.table(Enrollment)} e INNER JOIN {sql.table(User)} u ON u.id = e.coach_id "  # noqa: S608
            "WHERE e.program_id = %s AND e.teacher_id = t.id AND e.ends_on IS NULL LIMIT 1)"
        )
        coach_params = [program.pk]
    query = (
        f"SELECT t.id, t.name, t.subject, t.grade_band, s.name, {coach} FROM {sql.table(Teacher)} t "  # noqa: S608
        f"INNER JOIN {sql.table(School)} s ON s.id = t.school_id WHERE t.id IN ({page}) ORDER BY t.name, t.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*coach_params, *page_params])
        return [TeacherRow(*row) for row in cursor.fetchall()]


def coach_caseload(program: Program, coach: User) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(program=program, coach=coach)
        .active()
        .select_related("teacher__school")
        .order_by("teacher__name")
    )


# --- the library --------------------------------------------------------------------------------


def retired_strategies(district: District) -> QuerySet[Strategy]:
    return scoping.district_rows(district, Strategy).retired().order_by("title")


def tools(district: District, *, retired: bool) -> QuerySet[Tool]:
    tools = scoping.district_rows(district, Tool)
    return (tools.retired() if retired else tools.active()).order_by("name")


def sign_in_providers(district: District) -> dict[str, SignInProvider | None]:
    """The district's single sign-on settings by kind (google, microsoft, oidc); None where never set."""
    saved = {row.kind: row for row in scoping.district_rows(district, SignInProvider)}
    return {kind: saved.get(kind) for kind in SignInProvider.Kind.values}


def enabled_sign_in_providers() -> list[SignInProvider]:
    """Every district's switched-on single sign-on, for the sign-in page (before anyone is known)."""
    return list(
        SignInProvider.objects.filter(enabled=True).select_related("district").order_by("district__name", "kind")
    )
