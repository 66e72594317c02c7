"""Reads of the district pages. Each starts from the viewer's district; query counts do not grow with data.

None of these reads a teacher's coaching content: caseloads are enrollments (who coaches whom), which the
confidentiality table lets a district admin see.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from accounts.models import District, Membership, Role, School, User
from coaching.models import Enrollment, Goal, Program, Strategy, Teacher, Tool

ACTIVE = Q(enrollments__ends_on__isnull=True)


def active_coaches(district: District) -> QuerySet[User]:
    return User.objects.filter(membership__district=district, membership__role=Role.COACH, is_active=True)


def visible_schools(membership: Membership) -> QuerySet[School]:
    """A district admin sees every school of the district; a principal their own; a coach all (roster)."""
    if membership.is_principal:
        return School.objects.filter(memberships=membership)
    return School.objects.filter(district_id=membership.district_id)


def programs(membership: Membership) -> QuerySet[Program]:
    """Programs with their schools and coaches; a principal sees those of their own schools only."""
    schools = visible_schools(membership)
    qs = Program.objects.filter(district=membership.district).prefetch_related(
        Prefetch("schools", queryset=schools), Prefetch("coaches", queryset=User.objects.order_by("full_name"))
    )
    if membership.is_principal:
        qs = qs.filter(schools__in=schools).distinct()
    if membership.is_district_admin:
        qs = qs.annotate(active_count=Count("enrollments", filter=Q(enrollments__ends_on__isnull=True)))
    return qs


def district_goals(district: District) -> QuerySet[Goal]:
    return Goal.objects.filter(district=district, school__isnull=True).order_by("title")


def school_goals(membership: Membership) -> list[School]:
    """The schools whose goals this leader may change, each with its goals prefetched."""
    goals = Prefetch("goals", queryset=Goal.objects.order_by("title"))
    return list(visible_schools(membership).prefetch_related(goals))


def goal_to_change(membership: Membership, goal_id: int) -> Goal:
    """A school goal this leader may change: another district's is a 404; another school's a 403."""
    goal = get_object_or_404(Goal.objects.select_related("school"), pk=goal_id, district=membership.district)
    if goal.school is None or not visible_schools(membership).filter(pk=goal.school_id).exists():
        raise PermissionDenied("You can change the goals of your own schools only.")
    return goal


# --- caseloads ----------------------------------------------------------------------------------


def program_coaches(program: Program) -> list[User]:
    """The program's coaches, each with `in_program` (active here) and `total` (active anywhere) caseloads."""
    return list(
        program.coaches.annotate(
            in_program=Count("enrollments", filter=ACTIVE & Q(enrollments__program=program)),
            total=Count("enrollments", filter=ACTIVE),
        ).order_by("full_name", "email")
    )


def caseload_size(coach: User) -> int:
    """Across every program: the workload the coach feels, and what their own caseload page shows."""
    return Enrollment.objects.filter(coach=coach, ends_on__isnull=True).count()


def program_teachers(
    program: Program,
    *,
    school: School | None = None,
    subject: str = "",
    grade_band: str = "",
    unassigned: bool = False,
    q: str = "",
) -> QuerySet[Teacher]:
    """Teachers of the program's schools, each with `coach_name`: who coaches them in this program now."""
    current = Enrollment.objects.filter(program=program, teacher=OuterRef("pk"), ends_on__isnull=True)
    teachers = (
        Teacher.objects.filter(school__in=program.schools.all())
        .select_related("school")
        .annotate(coach_name=Subquery(current.values("coach__full_name")[:1]))
        .order_by("name", "pk")
    )
    if school:
        teachers = teachers.filter(school=school)
    if subject:
        teachers = teachers.filter(subject__icontains=subject)
    if grade_band:
        teachers = teachers.filter(grade_band=grade_band)
    if unassigned:
        teachers = teachers.filter(coach_name__isnull=True)
    if q:
        teachers = teachers.filter(Q(name__icontains=q) | Q(email__icontains=q))
    return teachers


def coach_caseload(program: Program, coach: User) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(program=program, coach=coach, ends_on__isnull=True)
        .select_related("teacher__school")
        .order_by("teacher__name")
    )


def program_enrollment(membership: Membership, enrollment_id: int) -> Enrollment:
    """An active or ended enrollment of the admin's district (who coaches whom: no coaching content)."""
    qs = Enrollment.objects.select_related("teacher__school", "coach", "program")
    return get_object_or_404(qs, pk=enrollment_id, program__district=membership.district)


# --- the library --------------------------------------------------------------------------------


def retired_strategies(district: District) -> QuerySet[Strategy]:
    return Strategy.objects.filter(district=district, retired_at__isnull=False).order_by("title")


def tools(district: District, *, retired: bool) -> QuerySet[Tool]:
    return Tool.objects.filter(district=district, retired_at__isnull=not retired).order_by("name")
