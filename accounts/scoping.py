"""Who may see what: the one module that decides it (DESIGN.md, "Confidentiality and access").

Every view, selector, export and task that touches a district's data starts from a function here:

- a teacher's coaching record (challenge, steps, reflections, ITU, touchpoints, stories) belongs to
  the teacher's coach alone, and only while they coach the teacher: `coach_records`,
  `get_confidential` (the rule below);
- the district's own things (programs, goals, the library, people, imports, exports) are reached
  only from the viewer's district: `in_district`, `get_in_district`;
- schools: a principal sees their own, everyone else their whole district: `schools`, `summary_school`;
- stories of impact reach a leader only with the teacher's consent for that audience: `shared_stories`.

Who may read a teacher's confidential record is decided at each request from what is true *now*:

1. the reader's account is active and their current role is coach (a coach made principal or
   district admin reads nothing of their former caseload: 403, like any leader);
2. the record's enrollment (its `reach.enrollment`) is theirs and active: not ended, and its program
   not over (coaching.models.active_enrollment). An ended enrollment (ended by the admin, by a move
   to another coach, or by the program's last day passing) closes the record to everyone: the coach
   who wrote it included (404). The new coach of a moved teacher starts a fresh record.

What ends enrollments besides the admin's "end" and "move": a role change away from coach, a
deactivation, and removing a school from a coach's schools (the enrollments of teachers at that
school) end them in the same transaction (accounts.services). Nothing restores them: a reactivated
or re-appointed coach starts with an empty caseload, which the admin fills again on Caseloads.

Another district's object is a 404 whatever the role ("to prevent information leakage"); an object of
the viewer's own district that their role may not open is a 403.

This module imports nothing above `accounts`. A model higher up says how its rows reach a district,
a school, a coach and a caseload entry with a `reach` (accounts.models.Reach); every filter here is
built from it, so a new model cannot be scoped by a path written somewhere else.
"""

from collections.abc import Iterable

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from accounts.models import NO_ENROLLMENT, District, Membership, Reach, Role, School, User

CONFIDENTIAL = "Coaching records are confidential to the teacher's coach."


def _reach(model: type[Model]) -> Reach:
    reach = getattr(model, "reach", None)
    if not isinstance(reach, Reach):
        raise TypeError(f"{model.__name__} has no `reach`: say how its rows reach their district.")
    return reach


def _membership(user: User) -> Membership | None:
    return getattr(user, "membership", None) if user.is_authenticated else None


# --- the district's own things ---------------------------------------------------------------------


def district_rows(district: District | int, model: type[Model] | QuerySet, *, via: str = "") -> QuerySet:
    """Every row of `model` (a model or a queryset of it) that belongs to `district` (a District or its id).

    A model without a `reach` of its own (a many-to-many through table) names with `via` the path to
    the model whose district it shares, e.g. `via="challenge"` for the challenge–tool table.
    """
    queryset = model if isinstance(model, QuerySet) else model._default_manager.all()
    owner = queryset.model
    for name in filter(None, via.split("__")):
        owner = owner._meta.get_field(name).related_model
    path = f"{via}__{_reach(owner).district}" if via else _reach(owner).district
    return queryset.filter(**{path: getattr(district, "pk", district)})


def in_district(membership: Membership, model: type[Model] | QuerySet) -> QuerySet:
    """Rows of `model` (a model or a queryset of it) that belong to the viewer's district."""
    return district_rows(membership.district, model)


def get_in_district(membership: Membership, model: type[Model] | QuerySet, **lookup) -> Model:
    """One row of the viewer's district, or Http404 (another district's row is never acknowledged)."""
    obj = in_district(membership, model).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


def district_admin(user_id: int | None, district: District) -> Membership | None:
    """The membership of user `user_id` if they are, now, an active district admin of `district`, else None:
    what a task re-checks before it reads the district's data for whoever asked for it."""
    admins = Membership.objects.filter(role=Role.DISTRICT_ADMIN, district=district, user__is_active=True)
    return admins.select_related("district", "user").filter(user_id=user_id).first() if user_id else None


# --- schools ---------------------------------------------------------------------------------------


def schools(membership: Membership) -> QuerySet[School]:
    """The schools this person may see: a principal their own, a coach or district admin the whole district."""
    district_schools = School.objects.filter(district_id=membership.district_id)
    if membership.role == Role.PRINCIPAL:
        return district_schools.filter(memberships=membership)
    return district_schools


def summary_school(membership: Membership, school_id: int) -> School:
    """A school whose summary this leader may open: another district's is a 404, another school a 403."""
    school = get_in_district(membership, School, pk=school_id)
    if not schools(membership).filter(pk=school.pk).exists():
        raise PermissionDenied("You can see the summary of your own schools only.")
    return school


def school_object(membership: Membership, model: type[Model] | QuerySet, **lookup) -> Model:
    """A row tied to a school (e.g. a school goal) that this person may change: 404 outside the
    district; 403 when it belongs to no school or to a school they do not lead."""
    obj = get_in_district(membership, model, **lookup)
    school_path = _reach(type(obj)).school
    school_id = getattr(obj, f"{school_path}_id", None)
    if school_id is None or not schools(membership).filter(pk=school_id).exists():
        raise PermissionDenied("You can change the goals of your own schools only.")
    return obj


def at_visible_schools(membership: Membership, model: type[Model] | QuerySet) -> QuerySet:
    """Rows of the district tied to a school this person may see (a principal: their own schools)."""
    queryset = in_district(membership, model)
    if membership.role != Role.PRINCIPAL:
        return queryset
    path = _reach(queryset.model).school
    visible = queryset.filter(**{f"{path}__in": schools(membership)})
    # A path through a many-valued relation (a program's schools) joins a row once per visible school it
    # reaches, hence DISTINCT; a path of foreign keys (a story's teacher's school) reaches one school, so the
    # rows are already distinct, and DISTINCT would only sort every selected column (a story's text too).
    return visible.distinct() if _many_valued(queryset.model, path) else visible


def _many_valued(model: type[Model], path: str) -> bool:
    """Whether `path` from `model` crosses a relation that may join more than one row (many-to-many, reverse)."""
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        model = field.related_model
    return False


# --- confidential coaching records -----------------------------------------------------------------


def _caseload_model() -> type[Model]:
    """The model of caseload entries: the one whose reach says its enrollment is itself ("pk")."""
    entries = [
        m for m in apps.get_models() if isinstance(getattr(m, "reach", None), Reach) and m.reach.enrollment == "pk"
    ]
    if len(entries) != 1:
        raise TypeError(f"Exactly one model must be the caseload entry (reach enrollment='pk'), not {entries}.")
    return entries[0]


def caseload(user: User, *, at_schools: Iterable[School] | None = None) -> QuerySet:
    """This person's active caseload entries (enrollments), at these schools only when given.

    Whatever their role or account is now: the services that change a role, a coach's schools or an
    account use it to end what the change takes away. Not a read of confidential content.
    """
    model = _caseload_model()
    reach = _reach(model)
    entries = model._default_manager.active().filter(**{reach.coach: user})
    if at_schools is not None:
        entries = entries.filter(**{f"{reach.school}__in": list(at_schools)})
    return entries


def caseload_school_path() -> str:
    """The path from a caseload entry to its teacher's school (for counting a caseload by school)."""
    return _reach(_caseload_model()).school


def may_coach(user: User) -> bool:
    """A signed-in, active account whose role in its district is coach, now."""
    membership = _membership(user)
    return membership is not None and membership.role == Role.COACH and user.is_active


def coach_records(user: User, model: type[Model]) -> QuerySet:
    """The rows of a confidential model that this coach may read and change now (and no one else may).

    The rule (DESIGN.md, "Confidentiality and access"; docs/security.md): a row is readable by the
    coach named by `model.reach.coach`, while that person's account is active, their role is coach,
    and the row's enrollment (`model.reach.enrollment`) is one of their active enrollments — not
    ended, in a program that has not ended (coaching.models.active_enrollment). A row without an
    enrollment (school-wide work) is the coach's own while they are a coach. Anyone else gets nothing.
    """
    return _coach_records(user, model, None)


def coach_figures(user: User, model: type[Model]) -> QuerySet:
    """The rows of a rollup of confidential work (`model.reach.figures`) that sum this coach's own work: with
    every teacher they coached, ended enrollments included, while they may coach (My coaching, My growth).

    A rollup row is a count or a sum of minutes, never a record: a coach keeps the figures of their own work
    when a teacher leaves their caseload, as the district's per-coach row counts it, while every record
    behind them closes (coach_records). Anyone else, and a coach no longer, gets nothing. Raises TypeError
    for a model that is not such a rollup.
    """
    reach = _reach(model)
    if not (reach.figures and reach.coach):
        raise TypeError(f"{model.__name__} is not a rollup of a coach's work: its reach says no figures.")
    queryset = model._default_manager.all()
    return queryset.filter(**{reach.coach: user}) if may_coach(user) else queryset.none()


class CoachRecords:
    """`coach_records` for a page that reads many confidential models at once (the coach's dashboard): the
    coach's caseload is read once, when it is made (1 query), and each model's rows are filtered on those
    enrollments' ids rather than on a caseload subquery of their own, which costs more to build and to plan
    than the small queries it filters. The same rule; `records(Model)` is `coach_records(user, Model)`.

    `entries` are the caseload entries that query read (the rows of `records(<caseload model>)`, in its
    order), with the rows named by `select_related`, for a page that lists them too."""

    def __init__(self, user: User, *, select_related: Iterable[str] = ()) -> None:
        self.user = user
        self.entries = list(caseload(user).select_related(*select_related)) if may_coach(user) else []
        self.caseload = [entry.pk for entry in self.entries]

    def __call__(self, model: type[Model]) -> QuerySet:
        return _coach_records(self.user, model, self.caseload)


def _coach_records(user: User, model: type[Model], on_caseload: list[int] | None) -> QuerySet:
    """`coach_records`, the caseload entries given by their ids (`on_caseload`) or, when None, a subquery."""
    queryset = model._default_manager.all()
    reach = _reach(model)
    if not (reach.coach and reach.enrollment):
        raise TypeError(f"{model.__name__} is not confidential: its reach names no coach and enrollment.")
    if not may_coach(user):
        return queryset.none()
    if reach.enrollment == NO_ENROLLMENT:  # the coach's own, no teacher's: theirs while they coach
        return queryset.filter(**{reach.coach: user})
    if reach.enrollment == "pk":
        entries = queryset.active() if on_caseload is None else queryset.filter(pk__in=on_caseload)
        return entries.filter(**{reach.coach: user})
    enrollment = Q(**{f"{reach.enrollment}__in": caseload(user) if on_caseload is None else on_caseload})
    if _path_nullable(model, reach.enrollment):
        enrollment |= Q(**{f"{reach.enrollment}__isnull": True})
    return queryset.filter(enrollment, **{reach.coach: user})


def _path_nullable(model: type[Model], path: str) -> bool:
    """Whether the foreign key at the end of `path` may be empty."""
    *through, last = path.split("__")
    for name in through:
        model = model._meta.get_field(name).related_model
    return model._meta.get_field(last).null


def get_confidential(user: User, queryset: QuerySet, **lookup) -> Model:
    """One confidential row from the coach's own `queryset` (built on `coach_records`), or a refusal.

    Raises PermissionDenied (403) for a principal or district admin of the row's district — they
    know the teacher exists; they may not read the record — and Http404 for everyone else,
    including every user of another district whatever their role.
    """
    obj = queryset.filter(**lookup).first()
    if obj is not None:
        return obj
    membership = _membership(user)
    model = queryset.model
    if membership and membership.role != Role.COACH:
        in_district = model._default_manager.filter(**lookup, **{_reach(model).district: membership.district_id})
        if in_district.exists():
            raise PermissionDenied(CONFIDENTIAL)
    raise Http404


# --- stories of impact -------------------------------------------------------------------------------

CONSENT = {Role.PRINCIPAL: "principal", Role.DISTRICT_ADMIN: "district"}


def shared_stories(membership: Membership, model: type[Model], *, school: School | None = None) -> QuerySet:
    """Stories the teacher agreed to share with this leader's audience: a principal's (own schools) or
    the district's. `model.reach.consent` maps each audience to its consent field. Coaches get none here."""
    reach = _reach(model)
    audience = CONSENT.get(membership.role)
    if audience is None:
        return model._default_manager.none()
    stories = at_visible_schools(membership, model).filter(**{reach.consent[audience]: True})
    if school is not None:
        stories = stories.filter(**{reach.school: school})
    return stories


def shared_records(membership: Membership, model: type[Model]) -> QuerySet:
    """Rows of a coach's own record (e.g. a self-assessment) that the coach shared with this leader's
    audience, by the consent field `model.reach.consent` names for it. Nobody else gets any."""
    reach = _reach(model)
    audience = CONSENT.get(membership.role) if membership else None
    if audience not in reach.consent:
        return model._default_manager.none()
    return at_visible_schools(membership, model).filter(**{reach.consent[audience]: True})
