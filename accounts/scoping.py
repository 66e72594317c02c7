"""Who may see what. Every view and task fetches through here (DESIGN.md, "Confidentiality").

A teacher's challenge, notes, reflections and ITU detail belong to the teacher's coach alone.
Anyone else gets a 404 — except a principal or district admin of the same district, who learns
nothing new from a 403 ("you may not read this"), since they can see the roster anyway.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from coaching.models import Activity, Challenge, Enrollment, ImpactStory, Step


def caseload(user) -> QuerySet[Enrollment]:
    """The coach's current caseload: active enrollments only."""
    return Enrollment.objects.filter(coach=user, ends_on__isnull=True)


def coach_enrollments(user) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(coach=user)


def coach_challenges(user) -> QuerySet[Challenge]:
    return Challenge.objects.filter(enrollment__coach=user)


def coach_steps(user) -> QuerySet[Step]:
    return Step.objects.filter(cycle__challenge__enrollment__coach=user)


def coach_activities(user) -> QuerySet[Activity]:
    return Activity.objects.filter(coach=user)


# For each confidential model: how it reaches its district, to tell 403 from 404.
_DISTRICT_PATH = {
    Enrollment: "teacher__school__district",
    Challenge: "enrollment__teacher__school__district",
    Step: "cycle__challenge__enrollment__teacher__school__district",
    ImpactStory: "enrollment__teacher__school__district",
}


def get_confidential(request, queryset: QuerySet, **lookup) -> Model:
    """Fetch one confidential object from the coach's own queryset, or refuse properly."""
    obj = queryset.filter(**lookup).first()
    if obj is not None:
        return obj
    membership = request.membership
    model = queryset.model
    if membership and not membership.is_coach and model in _DISTRICT_PATH:
        in_district = model.objects.filter(**lookup, **{_DISTRICT_PATH[model]: membership.district})
        if in_district.exists():
            raise PermissionDenied("Coaching records are confidential to the teacher's coach.")
    raise Http404


def get_teacher_enrollment(request, teacher_id: int) -> Enrollment:
    """The coach's most recent enrollment of this teacher (a teacher page is per coach)."""
    qs = coach_enrollments(request.user).select_related("teacher__school", "program").order_by("-starts_on", "-id")
    return get_confidential(request, qs, teacher_id=teacher_id)
