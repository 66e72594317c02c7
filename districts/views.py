"""District pages: programs, goals, caseloads and the strategy & tool library.

District admins change them; coaches and principals may read programs and the library
(DESIGN.md, "programs, schools, roster, library"). Another district's object is a 404.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import scoping
from accounts.models import Role
from accounts.permissions import district_admin_required, leader_required, role_required
from coaching.forms import LibraryFilterForm
from coaching.models import Enrollment, Goal, Program, Strategy, Tool
from coaching.selectors import CASELOAD_WARNING, library_search
from config.forms import ALREADY_SAVED, SubmissionForm, landed_at, page_key, run_once, run_service, to_keyed_page
from districts import selectors, services, tables
from districts.forms import (
    AssignForm,
    CaseloadFilterForm,
    ConfirmForm,
    GoalForm,
    MoveForm,
    ProgramForm,
    SchoolGoalForm,
    SignInProviderForm,
    StrategyForm,
    ToolForm,
)
from districts.models import SignInProvider

member_required = role_required(Role.COACH, Role.PRINCIPAL, Role.DISTRICT_ADMIN)
TEACHERS_PER_PAGE = 50
ASSIGN_CHOICES = 50  # coaches offered for assignment without choosing a school first
COACHES_PER_PAGE = 25  # the caseloads page stays the same size in a district of a thousand coaches
STRATEGIES_PER_PAGE = 50


def _form_page(request, form, *, title: str, intro: str = "", submit: str, cancel: str, danger: bool = False):
    context = {"form": form, "title": title, "intro": intro, "submit": submit, "cancel": cancel, "danger": danger}
    return render(request, "district/form.html", context)


def _closed_page(request, enrollment: Enrollment, *, title: str, closed: str):
    """A move or end page of an enrollment that ended already: why, where the teacher is now (a move in another tab),
    and the way back, with no form to fill."""
    context = {"title": title, "closed": closed, "cancel": _back_to_caseload(enrollment)}
    if now := selectors.caseload_now(enrollment):
        context |= {"now": now, "now_url": _back_to_caseload(now)}
    return render(request, "district/form.html", context)


# --- programs -----------------------------------------------------------------------------------


@member_required
def programs(request):
    district = request.membership.district
    context = {
        "programs": selectors.programs(request.membership),
        "goals": selectors.district_goals(district),
        "is_admin": request.membership.is_district_admin,
    }
    return render(request, "district/programs.html", context)


def _save(request, form, service, *, new: bool, landing: str, success: Callable[[Any], str], **kwargs) -> str | None:
    """Save `form` through `service(**kwargs)`: where to go next, or None when the service refused (the form then
    carries why). A new item is saved once per render of its page (`run_once`: a double submit, or Save after Back,
    lands where the first did); an edit is saved as it is."""
    if new:
        return run_once(
            request, form, service, landing=lambda saved: landing, conflict=landing, success=success, **kwargs
        )
    if saved := run_service(form, service, **kwargs):
        messages.success(request, success(saved))
        return landing
    return None


def _program_form(request, program: Program | None):
    if program is None and (keyed := to_keyed_page(request)):
        return keyed
    form = ProgramForm(
        request.POST or None, district=request.membership.district, program=program,
        initial={"submission_key": page_key(request)},
    )  # fmt: skip
    if form.is_valid() and (
        url := _save(
            request, form, services.program_save, new=program is None, landing=reverse("district:programs"),
            success=lambda saved: f"Program “{saved}” saved.", actor=request.user, program=program, **form.cleaned_data,
        )
    ):  # fmt: skip
        return redirect(url)
    title = f"Edit {program}" if program else "New program"
    return _form_page(request, form, title=title, submit="Save program", cancel=reverse("district:programs"))


@district_admin_required
def program_new(request):
    return _program_form(request, None)


@district_admin_required
def program_edit(request, program_id: int):
    return _program_form(request, scoping.get_in_district(request.membership, Program, pk=program_id))


# --- goals ---------------------------------------------------------------------------------------


def _goal(request, goal_id: int) -> Goal:
    """A goal this leader may change: another district's is a 404; a district goal is the district
    admin's, a school goal its school's leaders' (403 otherwise)."""
    goals = Goal.objects.select_related("school", "district")
    goal = scoping.get_in_district(request.membership, goals, pk=goal_id)
    if goal.school_id is not None:
        return scoping.school_object(request.membership, goals, pk=goal_id)
    if not request.membership.is_district_admin:
        raise PermissionDenied("District goals are set by the district admin.")
    return goal


@leader_required
def goals(request):
    membership = request.membership
    schools = selectors.school_goals(membership)
    # Two forms post here: the district goal's fields carry the "district-" prefix.
    district_post = request.POST if "district-title" in request.POST else None
    school_post = request.POST if request.POST and district_post is None else None
    district_form = GoalForm(district_post, prefix="district") if membership.is_district_admin else None
    initial = {"school": schools[0]} if len(schools) == 1 else {}
    school_form = SchoolGoalForm(school_post, schools=scoping.schools(membership), initial=initial)
    landing = reverse("district:goals")
    for form in (district_form, school_form):  # one of them is posted, and a goal is added once per render
        if form and form.is_bound and form.is_valid() and (
            url := run_once(
                request, form, services.goal_add, landing=lambda goal: landing, conflict=landing,
                success=lambda goal: f"Goal added to {goal.school}." if goal.school else "District goal added.",
                actor=request.user, **form.cleaned_data,
            )
        ):  # fmt: skip
            return redirect(url)
    context = {
        "district_goals": selectors.district_goals(membership.district),
        "district_form": district_form,
        "schools": schools,
        "form": school_form,
    }
    return render(request, "district/goals.html", context)


@leader_required
def goal_edit(request, goal_id: int):
    goal = _goal(request, goal_id)
    form = GoalForm(request.POST or None, initial={"title": goal.title})
    if form.is_valid() and run_service(form, services.goal_rename, actor=request.user, goal=goal, **form.cleaned_data):
        messages.success(request, f"Goal renamed “{goal.title}”.")
        return redirect("district:goals")
    return render(request, "district/goal.html", {"form": form, "use": selectors.goal_use(goal), "removing": False})


@leader_required
def goal_remove(request, goal_id: int):
    """A confirmation that says which programs and challenges use the goal, then the removal."""
    goal = _goal(request, goal_id)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if form.is_valid() and run_service(form, services.goal_remove, actor=request.user, goal=goal):
        messages.success(request, f"Goal “{goal.title}” removed.")
        return redirect("district:goals")
    return render(request, "district/goal.html", {"form": form, "use": selectors.goal_use(goal), "removing": True})


# --- caseloads ----------------------------------------------------------------------------------


@district_admin_required
def caseloads(request):
    filters = CaseloadFilterForm(request.GET, district=request.membership.district)
    filters.is_valid()  # an invalid filter is shown with its error and left out
    program = filters.cleaned_data.get("program")
    if program is None:
        return render(request, "district/caseloads.html", {"filters": filters})
    coach_page = Paginator(selectors.program_coaches(program), COACHES_PER_PAGE).get_page(request.GET.get("coaches"))
    choices = _assign_choices(program, filters.cleaned_data.get("school"), coach_page)
    choose_school = choices is None
    form = AssignForm(request.POST or None, program=program, coaches=choices or [])
    data = form.cleaned_data if form.is_valid() else None
    here = request.get_full_path()
    if data and (
        url := run_once(
            request, form, services.caseload_assign, landing=lambda enrollments: here, conflict=here,
            success=lambda enrollments: _assigned(request, coach=data["coach"], count=len(enrollments)),
            actor=request.user, program=program, **data,
        )
    ):  # fmt: skip
        return redirect(url)
    teachers = selectors.program_teachers(program, **filters.teacher_filters())
    page = Paginator(teachers, TEACHERS_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.teacher_page(program, page.object_list)
    context = {
        "filters": filters,
        "program": program,
        "coach_page": coach_page,
        "coach_rows": _coach_rows(program, coach_page),
        "form": form,
        "page": page,
        "teacher_rows": tables.teacher_rows(rows, selected=form.selected(), disabled=choose_school),
        "choose_school": choose_school,
        "warning_size": CASELOAD_WARNING,
    }
    return render(request, "district/caseloads.html", context)


def _coach_rows(program, coach_page) -> str:
    coaches = list(coach_page.object_list)
    return tables.coach_rows(program, coaches, selectors.caseload_sizes(program, coaches), warning=CASELOAD_WARNING)


def _assign_choices(program, school, coach_page) -> list | None:
    """The coaches offered to assign teachers to: those of the chosen school (a short list at district scale),
    else all the program's; None past ASSIGN_CHOICES coaches, when the page asks for the school first (so it
    does not grow). A program whose coaches fit on one page offers that page's."""
    if school:
        return selectors.assignable_coaches(program, school)
    if coach_page.paginator.count > ASSIGN_CHOICES:
        return None
    return selectors.assignable_coaches(program) if coach_page.has_other_pages() else list(coach_page.object_list)


def _assigned(request, *, coach, count: int) -> str:
    """What an assignment says: the warning when the coach's caseload is now above CASELOAD_WARNING is added to
    the page's messages, and the success returned (run_once shows it)."""
    size = selectors.caseload_size(coach)
    if size > CASELOAD_WARNING:
        warning = f"{coach} now coaches {size} teachers: more than {CASELOAD_WARNING} is a warning sign"
        messages.warning(request, f"{warning} (about 10 is recommended).")
    return f"{count} teacher{'s' if count != 1 else ''} assigned to {coach}."


@district_admin_required
def coach_caseload(request, program_id: int, coach_id: int):
    program = scoping.get_in_district(request.membership, Program, pk=program_id)
    coach = get_object_or_404(program.coaches, pk=coach_id)
    context = {"program": program, "coach": coach, "enrollments": selectors.coach_caseload(program, coach)}
    return render(request, "district/coach_caseload.html", {**context, "warning_size": CASELOAD_WARNING})


def _enrollment(request, enrollment_id: int) -> Enrollment:
    """An active or ended enrollment of the admin's district (who coaches whom: no coaching content)."""
    enrollments = Enrollment.objects.select_related("teacher__school", "coach", "program")
    return scoping.get_in_district(request.membership, enrollments, pk=enrollment_id)


def _back_to_caseload(enrollment) -> str:
    return reverse("district:coach_caseload", args=[enrollment.program_id, enrollment.coach_id])


@district_admin_required
def enrollment_move(request, enrollment_id: int):
    enrollment = _enrollment(request, enrollment_id)
    title = f"Move {enrollment.teacher} to another coach"
    if closed := services.enrollment_closed(enrollment):
        sent = SubmissionForm(request.POST)
        if sent.is_valid() and (earlier := landed_at(request, sent.submission_key)):  # this move, sent again
            messages.info(request, ALREADY_SAVED)
            return redirect(earlier)
        return _closed_page(request, enrollment, title=title, closed=closed)
    form = MoveForm(request.POST or None, enrollment=enrollment, limit=ASSIGN_CHOICES)
    back = _back_to_caseload(enrollment)
    if form.is_valid() and (
        url := run_once(
            request, form, services.enrollment_move, landing=lambda moved: back, conflict=back,
            success=lambda moved: f"{enrollment.teacher} moved to {moved.coach}'s caseload.",
            actor=request.user, enrollment=enrollment, **form.cleaned_data,
        )
    ):  # fmt: skip
        return redirect(url)
    intro = (
        f"{enrollment.teacher} leaves {enrollment.coach}'s caseload today, and the record of their work together "
        f"closes: from today no one can open it, {enrollment.coach} included. The new coach starts fresh, with a "
        "new challenge."
    )
    return _form_page(request, form, title=title, intro=intro, submit="Move", cancel=back)


@district_admin_required
def enrollment_end(request, enrollment_id: int):
    enrollment = _enrollment(request, enrollment_id)
    title = f"End {enrollment.teacher}'s coaching with {enrollment.coach}?"
    if closed := services.enrollment_closed(enrollment):
        return _closed_page(request, enrollment, title=title, closed=closed)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        ended = run_service(form, services.enrollment_end, actor=request.user, enrollment=enrollment)
        if ended:
            messages.success(request, f"{enrollment.teacher} is off {enrollment.coach}'s caseload.")
            return redirect(_back_to_caseload(enrollment))
    intro = (
        f"{enrollment.teacher} leaves {enrollment.coach}'s caseload in {enrollment.program} today. The record of "
        f"their work together closes: from today no one can open it in Cadence, {enrollment.coach} included "
        "(it stays in the district's data export until the teacher is erased)."
    )
    back = _back_to_caseload(enrollment)
    return _form_page(request, form, title=title, intro=intro, submit="End coaching", cancel=back, danger=True)


# --- the library --------------------------------------------------------------------------------


@member_required
def library(request):
    district = request.membership.district
    filters = LibraryFilterForm(request.GET or None)
    strategies = library_search(district, **(filters.cleaned_data if filters.is_valid() else {}))
    is_admin = request.membership.is_district_admin
    context = {
        "filters": filters,
        "page": Paginator(strategies, STRATEGIES_PER_PAGE).get_page(request.GET.get("page")),
        "tools": selectors.tools(district, retired=False),
        "is_admin": is_admin,
        "retired_strategies": selectors.retired_strategies(district) if is_admin else (),
        "retired_tools": selectors.tools(district, retired=True) if is_admin else (),
    }
    return render(request, "district/library.html", context)


def _library_form(request, form_class, service, item, noun: str):
    if item is None and (keyed := to_keyed_page(request)):
        return keyed
    district = request.membership.district
    initial = {"submission_key": page_key(request)}
    form = form_class(request.POST or None, instance=item, district=district, initial=initial)
    if form.is_valid() and (
        url := _save(
            request, form, service, new=item is None, landing=reverse("district:library"),
            success=lambda saved: f"“{saved}” saved in the library.", actor=request.user, **{noun: item},
            **form.cleaned_data,
        )
    ):  # fmt: skip
        return redirect(url)
    title = f"Edit “{item}”" if item else f"New {noun}"
    return _form_page(request, form, title=title, submit=f"Save {noun}", cancel=reverse("district:library"))


def _library_item(request, model, item_id: int):
    return scoping.get_in_district(request.membership, model, pk=item_id)


@district_admin_required
def strategy_new(request):
    return _library_form(request, StrategyForm, services.strategy_save, None, "strategy")


@district_admin_required
def strategy_edit(request, strategy_id: int):
    strategy = _library_item(request, Strategy, strategy_id)
    return _library_form(request, StrategyForm, services.strategy_save, strategy, "strategy")


@district_admin_required
def tool_new(request):
    return _library_form(request, ToolForm, services.tool_save, None, "tool")


@district_admin_required
def tool_edit(request, tool_id: int):
    return _library_form(request, ToolForm, services.tool_save, _library_item(request, Tool, tool_id), "tool")


def _retire(request, model, item_id: int, *, retired: bool):
    item = services.library_retire(actor=request.user, item=_library_item(request, model, item_id), retired=retired)
    messages.success(request, f"“{item}” {'retired: it is no longer offered' if retired else 'restored'}.")
    return redirect("district:library")


@district_admin_required
@require_POST
def strategy_retire(request, strategy_id: int):
    return _retire(request, Strategy, strategy_id, retired=True)


@district_admin_required
@require_POST
def strategy_restore(request, strategy_id: int):
    return _retire(request, Strategy, strategy_id, retired=False)


@district_admin_required
@require_POST
def tool_retire(request, tool_id: int):
    return _retire(request, Tool, tool_id, retired=True)


@district_admin_required
@require_POST
def tool_restore(request, tool_id: int):
    return _retire(request, Tool, tool_id, retired=False)


# --- single sign-on -------------------------------------------------------------------------------

SIGN_IN_INTRO = {
    "google": "People sign in with their Google Workspace account. Create an OAuth client (Web application) in "
    "Google Cloud console → APIs & Services → Credentials, with the redirect URI shown below.",
    "microsoft": "People sign in with their Microsoft 365 account. Register an app in the Microsoft Entra admin "
    "center → App registrations (accounts in this organizational directory only), with the redirect URI below.",
    "oidc": "Any OpenID Connect provider: Clever, ClassLink, or your own. Register Cadence there as a web "
    "application with the redirect URI below and copy its issuer, client ID and secret here.",
}


@district_admin_required
def sign_in(request):
    providers = selectors.sign_in_providers(request.membership.district)
    rows = [(kind, label, providers[kind]) for kind, label in SignInProvider.Kind.choices]
    return render(request, "district/sign_in.html", {"rows": rows})


@district_admin_required
def sign_in_edit(request, kind: str):
    if kind not in SignInProvider.Kind.values:
        raise Http404
    provider = selectors.sign_in_providers(request.membership.district)[kind]
    initial = {}
    if provider:
        initial = {
            "enabled": provider.enabled, "label": provider.label, "server_url": provider.server_url,
            "tenant": provider.tenant, "client_id": provider.client_id,
            "allowed_domains": ", ".join(provider.allowed_domains),
        }  # fmt: skip
    form = SignInProviderForm(request.POST or None, initial=initial, kind=kind, provider=provider)
    if form.is_valid():
        saved = run_service(form, services.sign_in_provider_save, actor=request.user, kind=kind, **form.cleaned_data)
        if saved:
            state = "on" if saved.enabled else "off"
            messages.success(request, f"Sign-in with {saved.name} is {state}.")
            return redirect("district:sign_in")
    context = {
        "form": form,
        "kind": kind,
        "name": SignInProvider.Kind(kind).label if not provider else provider.name,
        "intro": SIGN_IN_INTRO[kind],
        "redirect_uri": request.build_absolute_uri(_callback_path(kind, request.membership.district)),
    }
    return render(request, "district/sign_in_edit.html", context)


def _callback_path(kind: str, district) -> str:
    """Where the provider sends people back: the redirect URI the admin registers at the provider."""
    provider_id = SignInProvider.provider_id_for(kind, district)
    if kind == SignInProvider.Kind.OIDC:
        return reverse("openid_connect_callback", kwargs={"provider_id": provider_id})
    return reverse(f"{provider_id}_callback")
