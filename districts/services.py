"""Writes of the district admin's pages: programs, goals, caseloads and the strategy & tool library.

`actor` is the acting user: their membership carries the district every object must belong to.
Roles are checked by the views; these services refuse anything from outside the actor's district.
"""

import datetime
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import dateformat, timezone

from accounts import scoping
from accounts.models import Membership, Role, School, User
from coaching.models import Enrollment, Goal, Program, Strategy, Teacher, Tool, active_enrollment
from coaching.services import enrollment_steps_cancel, library_require_unique
from config import rollups
from districts.models import SignInProvider


def _names(objects: Iterable) -> str:
    return ", ".join(str(obj) for obj in objects)


def _day(value: datetime.date) -> str:
    return dateformat.format(value, "j F Y")


def _error(message: str, field: str | None = None) -> ValidationError:
    return ValidationError({field: message} if field else message)


def _require_district(actor: User, *objects, field: str | None = None, message: str) -> None:
    """Refuse objects of another district (and name them nowhere: their names are not ours to show)."""
    if any(obj.district_id != actor.membership.district_id for obj in objects):
        raise _error(message, field)


def _require_active_coaches(actor: User, coaches: Iterable, field: str = "coaches") -> None:
    coaches = list(coaches)
    valid = set(
        Membership.objects.filter(
            district_id=actor.membership.district_id, role=Role.COACH, user__is_active=True, user__in=coaches
        ).values_list("user_id", flat=True)
    )
    if invalid := [coach for coach in coaches if coach.pk not in valid]:
        raise ValidationError({field: f"Not an active coach of this district: {_names(invalid)}."})


# --- programs -------------------------------------------------------------------


def _check_program_change(program: Program, schools: list[School], coaches: list) -> None:
    """A coach or school still carrying active caseloads in the program cannot leave it."""
    active = Enrollment.objects.filter(program=program).active()
    leaving_coaches = program.coaches.exclude(pk__in=[c.pk for c in coaches])
    busy = leaving_coaches.filter(enrollments__in=active).distinct()
    if busy:
        raise ValidationError(
            {"coaches": f"Move or end the caseloads of {_names(busy)} in this program before removing them."}
        )
    leaving_schools = program.schools.exclude(pk__in=[s.pk for s in schools])
    busy = leaving_schools.filter(teachers__enrollments__in=active).distinct()
    if busy:
        raise ValidationError(
            {"schools": f"Teachers of {_names(busy)} are on caseloads in this program: end those first."}
        )


def _save_program(program: Program, *, actor: User, schools: Iterable[School], coaches: Iterable, **fields) -> Program:
    schools, coaches = list(schools), list(coaches)
    _require_district(actor, *schools, field="schools", message="Choose schools of your district.")
    _require_active_coaches(actor, coaches)
    for name, value in fields.items():
        setattr(program, name, value)
    program.full_clean()
    if program.starts_on >= program.ends_on:
        raise ValidationError({"ends_on": "The program must end after it starts."})
    if program.pk:
        _check_program_change(program, schools, coaches)
    program.save()
    program.schools.set(schools)
    program.coaches.set(coaches)
    return program


@transaction.atomic
def program_save(
    *,
    actor: User,
    program: Program | None = None,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    schools: Iterable[School] = (),
    coaches: Iterable = (),
) -> Program:
    """Create a program (no `program` given) or change one of the actor's district.

    Its goals are the district's goals and those of its schools, edited on the goals page."""
    if program is None:
        program = Program(district_id=actor.membership.district_id)
    else:
        _require_district(actor, program, message="This program belongs to another district.")
    return _save_program(
        program, actor=actor, schools=schools, coaches=coaches, name=name, starts_on=starts_on, ends_on=ends_on
    )


# --- goals: the district's (no school) and each school's --------------------------------------------
#
# The views decide who may change which goal (district goals: the district admin; a school's goals:
# its leaders); these services refuse goals and schools outside the actor's district or schools.


def _require_goal_access(actor: User, goal: Goal) -> None:
    _require_district(actor, goal, message="This goal belongs to another district.")
    if goal.school is not None:
        _require_school_access(actor, goal.school)
    elif not actor.membership.is_district_admin:
        raise ValidationError("District goals are set by the district admin.")


def _require_school_access(actor: User, school: School) -> None:
    _require_district(actor, school, field="school", message="Choose a school of your district.")
    if not scoping.schools(actor.membership).filter(pk=school.pk).exists():
        raise ValidationError({"school": "You can change the goals of your own schools only."})


def _clean_title(title: str, *, existing, field: str) -> str:
    title = " ".join(title.split())
    if existing.filter(title__iexact=title).exists():
        raise ValidationError({field: f"“{title}” is already a goal."})
    return title


def _goals_like(goal: Goal):
    """The goals a title must differ from: the district's, or the same school's."""
    return scoping.district_rows(goal.district_id, Goal).filter(school_id=goal.school_id).exclude(pk=goal.pk)


@transaction.atomic
def goal_add(*, actor: User, school: School | None = None, title: str) -> Goal:
    """A goal of one of the actor's schools, or (no school) a district goal, shared by every program."""
    goal = Goal(district_id=actor.membership.district_id, school=school)
    _require_goal_access(actor, goal)
    goal.title = _clean_title(title, existing=_goals_like(goal), field="title")
    goal.full_clean()
    goal.save()
    return goal


@transaction.atomic
def goal_rename(*, actor: User, goal: Goal, title: str) -> Goal:
    """A new wording for a goal; the challenges aligned to it keep it (and show the new wording)."""
    _require_goal_access(actor, goal)
    goal.title = _clean_title(title, existing=_goals_like(goal), field="title")
    goal.full_clean()
    goal.save(update_fields=["title"])
    return goal


@transaction.atomic
def goal_remove(*, actor: User, goal: Goal) -> Goal:
    """Delete a goal no challenge is aligned to (deleting it would rewrite their record, 3B); returns
    the deleted goal."""
    _require_goal_access(actor, goal)
    if goal.challenges.exists():
        raise ValidationError(
            f"Challenges are aligned to “{goal.title}”: it stays so their record holds. Rename it instead."
        )
    goal.delete()
    return goal


# --- caseloads ----------------------------------------------------------------------------------


def _require_program_coach(actor: User, program: Program, coach, field: str = "coach") -> None:
    _require_district(actor, program, message="This program belongs to another district.")
    if not program.coaches.filter(pk=coach.pk).exists():
        raise ValidationError({field: f"{coach} is not a coach of {program}: add them to the program first."})
    _require_active_coaches(actor, [coach], field=field)


@transaction.atomic
def caseload_assign(*, actor: User, program: Program, coach: User, teachers: Iterable[Teacher]) -> list[Enrollment]:
    """Put teachers on a coach's caseload in a program: all of them, or none when one cannot be."""
    teachers = list(teachers)
    if not teachers:
        raise ValidationError({"teachers": "Tick at least one teacher to assign."})
    _require_program_coach(actor, program, coach)
    today = timezone.localdate()
    if program.ends_on < today:
        raise ValidationError(f"{program} ended on {_day(program.ends_on)}: choose a current program.")
    school_ids = set(program.schools.values_list("pk", flat=True))
    if outside := [t for t in teachers if t.school_id not in school_ids]:
        raise ValidationError({"teachers": f"Not at a school of this program: {_names(outside)}."})
    enrolled = (
        Teacher.objects.filter(pk__in=[t.pk for t in teachers], enrollments__program=program)
        .filter(active_enrollment("enrollments"))
        .distinct()
    )
    if enrolled:
        raise ValidationError(
            {"teachers": f"Already on a caseload in this program: {_names(enrolled)}. Move them instead."}
        )
    enrollments = Enrollment.objects.bulk_create(
        [Enrollment(program=program, coach=coach, teacher=t, starts_on=today) for t in teachers]
    )
    rollups.changed(enrollment_ids=[enrollment.pk for enrollment in enrollments])  # they are on a caseload now
    return enrollments


def enrollment_closed(enrollment: Enrollment) -> str:
    """Why `enrollment` can be neither moved nor ended: it ended already ("" while it is active). The move
    and end pages say it before the admin fills anything in; the services refuse with it."""
    if enrollment.ends_on is None:
        return ""
    return f"{enrollment.teacher} already left this caseload on {_day(enrollment.ends_on)}."


def _require_active_enrollment(actor: User, enrollment: Enrollment) -> None:
    """Refuse unless the enrollment is the actor's district's and still active, as it is now in the database: its
    row is locked until the transaction ends, so a second end or move sent at the same moment waits, then is refused.
    """
    _require_district(actor, enrollment.program, message="This enrollment belongs to another district.")
    locked = Enrollment.objects.select_for_update().filter(pk=enrollment.pk)
    enrollment.ends_on = locked.values_list("ends_on", flat=True).get()
    if closed := enrollment_closed(enrollment):
        raise ValidationError(closed)


@transaction.atomic
def enrollment_end(*, actor: User, enrollment: Enrollment) -> Enrollment:
    """Take a teacher off a caseload today.

    The record of the work stays (for the district's export, or erasure) but closes: from today no
    one opens it in Cadence, the coach who wrote it included (accounts.scoping). The steps still
    scheduled with the teacher are not going to happen: calendars get their cancellation.
    """
    _require_active_enrollment(actor, enrollment)
    Enrollment.objects.filter(pk=enrollment.pk).end(timezone.localdate())
    enrollment.refresh_from_db(fields=["ends_on"])
    enrollment_steps_cancel(enrollments=[enrollment])
    return enrollment


@transaction.atomic
def enrollment_move(*, actor: User, enrollment: Enrollment, coach: User) -> Enrollment:
    """Move a teacher to another coach of the program: a new enrollment, so the new coach starts fresh.

    Nothing moves with the teacher: the old enrollment ends, and its record closes to everyone, the
    coach who wrote it included (accounts.scoping).
    """
    _require_active_enrollment(actor, enrollment)
    if coach.pk == enrollment.coach_id:
        raise ValidationError({"coach": f"{enrollment.teacher} is already on {coach}'s caseload."})
    _require_program_coach(actor, enrollment.program, coach)
    enrollment_end(actor=actor, enrollment=enrollment)
    moved = Enrollment(
        program=enrollment.program, coach=coach, teacher=enrollment.teacher, starts_on=timezone.localdate()
    )
    moved.full_clean()
    moved.save()
    # Nothing moves with the teacher, but both enrollments' rollups are restated from their rows.
    rollups.changed(enrollment_ids=[enrollment.pk, moved.pk], coach_ids=[enrollment.coach_id, coach.pk])
    return moved


# --- the strategy and tool library --------------------------------------------------------------


def _save_library_item(obj, *, actor: User, unique_field: str, **fields):
    _require_district(actor, obj, message="This belongs to another district's library.")
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    library_require_unique(item=obj, field=unique_field)
    obj.save()
    return obj


def _check_tools(actor: User, strategy: Strategy, tools: list[Tool]) -> None:
    _require_district(actor, *tools, field="tools", message="Choose tools of your district's library.")
    kept = set(strategy.tools.values_list("pk", flat=True)) if strategy.pk else set()
    # A retired tool stays on a strategy that had it, but is never offered for a new selection.
    if retired := [tool for tool in tools if tool.retired_at and tool.pk not in kept]:
        raise ValidationError({"tools": f"Retired tools cannot be added: {_names(retired)}."})


@transaction.atomic
def strategy_save(
    *, actor: User, strategy: Strategy | None = None, tools: Iterable[Tool] = (), **fields: str
) -> Strategy:
    """Create (no `strategy`) or edit a library strategy: title, description, category, ITU, subject, grade band."""
    strategy = strategy or Strategy(district_id=actor.membership.district_id, created_by=actor)
    tools = list(tools)
    _check_tools(actor, strategy, tools)
    _save_library_item(strategy, actor=actor, unique_field="title", **fields)
    strategy.tools.set(tools)
    return strategy


@transaction.atomic
def tool_save(*, actor: User, tool: Tool | None = None, **fields: str) -> Tool:
    """Create (no `tool`) or edit a library tool: name, description, URL."""
    return _save_library_item(
        tool or Tool(district_id=actor.membership.district_id), actor=actor, unique_field="name", **fields
    )


@transaction.atomic
def library_retire(*, actor: User, item: Strategy | Tool, retired: bool = True) -> Strategy | Tool:
    """Retire (or restore) a strategy or tool. Never deleted: challenges that used it keep showing it."""
    _require_district(actor, item, message="This belongs to another district's library.")
    item.retired_at = (item.retired_at or timezone.now()) if retired else None
    item.save(update_fields=["retired_at"])
    return item


# --- single sign-on ---------------------------------------------------------------------------------


def parse_domains(text: str) -> list[str]:
    """E-mail domains from what an admin typed ("Riverside.k12.ca.us, @staff.riverside.org"), lower case.

    Raises ValidationError naming an entry that is not a domain.
    """
    domains = []
    for entry in text.replace(",", " ").split():
        domain = entry.strip().lstrip("@").lower()
        if not re.fullmatch(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}", domain):
            raise ValidationError(f"{entry} is not an e-mail domain (like riverside.k12.ca.us).")
        if domain not in domains:
            domains.append(domain)
    return domains


@transaction.atomic
def sign_in_provider_save(
    *,
    actor: User,
    kind: str,
    enabled: bool,
    client_id: str,
    secret: str,
    allowed_domains: list[str],
    label: str = "",
    server_url: str = "",
    tenant: str = "",
) -> SignInProvider:
    """Turn a single sign-on provider on or off for the actor's district, with its app and allowed domains.

    An empty `secret` keeps the stored one (pages never show it back). Raises ValidationError when the
    actor is not the district's admin, a secret was never given, or the settings are incomplete
    (SignInProvider.clean: an issuer for OpenID Connect, the district's own tenant for Microsoft).
    """
    membership = actor.membership
    if not membership.is_district_admin:
        raise _error("Only a district admin can change how people sign in.")
    provider = scoping.district_rows(membership.district, SignInProvider).filter(kind=kind).first()
    provider = provider or SignInProvider(district=membership.district, kind=kind)
    provider.enabled, provider.label = enabled, label.strip()
    provider.client_id, provider.allowed_domains = client_id.strip(), list(allowed_domains)
    provider.server_url, provider.tenant = server_url.strip().rstrip("/"), tenant.strip()
    if secret.strip():
        provider.secret = secret.strip()
    if not provider.secret:
        raise _error("Give the client secret from the provider's console.", "secret")
    provider.updated_at = timezone.now()
    provider.full_clean()
    provider.save()
    return provider
