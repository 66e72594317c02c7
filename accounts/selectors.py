"""Every read about people. Each starts from the district the district admin belongs to."""

from django.db.models import BooleanField, Case, Count, F, Prefetch, QuerySet, When
from django.utils import timezone

from accounts import scoping
from accounts.models import District, Invitation, Membership, School, User, token_hash


def people(district: District, *, role: str = "") -> QuerySet[Membership]:
    """Everyone in the district, with their schools, in a constant number of queries."""
    qs = district.memberships.select_related("user").prefetch_related(
        Prefetch("schools", queryset=School.objects.order_by("name"))
    )
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("-user__is_active", "user__full_name", "user__email")


def pending_invitations(district: District, *, role: str = "") -> QuerySet[Invitation]:
    """Invitations not yet accepted, each marked `expired` when its link no longer works."""
    qs = (
        district.invitations.filter(accepted_at__isnull=True)
        .select_related("invited_by")
        .prefetch_related(Prefetch("schools", queryset=School.objects.order_by("name")))
        .annotate(
            expired=Case(When(expires_at__lte=timezone.now(), then=True), default=False, output_field=BooleanField())
        )
    )
    if role:
        qs = qs.filter(role=role)
    return qs.order_by("email")


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("district").filter(token_hash=token_hash(token)).first()


def caseload_by_school(user: User) -> list[tuple[str, int]]:
    """(school name, teachers) of this person's active caseload, by school name: what a change of their role,
    schools or account would end (accounts.services). Counts only, no coaching content."""
    entries = scoping.caseload(user)
    school = scoping.caseload_school_path()
    rows = entries.values(name=F(f"{school}__name")).annotate(n=Count("pk")).order_by("name")
    return [(row["name"], row["n"]) for row in rows]
