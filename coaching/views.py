from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import coach_record, coach_required
from coaching import invitations, moves, selectors, services
from coaching.forms import (
    ActivityForm,
    BrainstormForm,
    CandidateForm,
    IdentifyForm,
    InvestigationDoneForm,
    ITUForm,
    LibraryFilterForm,
    NewStrategyForm,
    ReflectForm,
    SelectForm,
    StepForm,
    StoryForm,
)
from coaching.models import Activity, Challenge, ITUIndicator, Step
from config.forms import (
    form_errors,
    page_key,
    refusal_message,
    run_action,
    run_action_once,
    run_once,
    run_service,
    to_keyed_page,
)
from config.sites import site_url

Status = Challenge.Status


def _challenge(request, challenge_id: int) -> Challenge:
    return selectors.challenge(request.user, challenge_id)


def _to_teacher(challenge: Challenge):
    return redirect(_teacher_url(challenge))


def _teacher_url(challenge: Challenge) -> str:
    return reverse("coaching:teacher", kwargs={"teacher_id": challenge.enrollment.teacher_id})


@login_required
def home(request):
    membership = request.membership
    if membership and membership.is_principal:
        return redirect("dashboard:school")
    if membership and membership.is_district_admin:
        return redirect("dashboard:district")
    if membership is None or not membership.is_coach:
        return render(request, "coaching/home_other.html", {"membership": membership})
    return render(request, "coaching/home.html", {"home": selectors.coach_home(request.user)})


@coach_required
def caseload(request):
    rows = selectors.caseload_rows(request.user)
    context = {
        "rows": rows,
        "warning_size": selectors.CASELOAD_WARNING,
        "statuses": Status.choices,
        "today": timezone.localdate(),
    }
    return render(request, "coaching/caseload.html", context)


@coach_record
def teacher(request, teacher_id: int):
    enrollment = selectors.teacher_enrollment(request.user, teacher_id)
    challenges = selectors.teacher_challenges(enrollment)
    current = next((c for c in challenges if c.status != Status.CLOSED), None)
    statuses = [s for s in Status if s != Status.CLOSED]
    context = {
        "enrollment": enrollment,
        "current": current,
        "moves": moves.challenge_moves(current) if current else [],
        "past": [c for c in challenges if c is not current],
        "ratings": selectors.itu_ratings(enrollment, challenges),
        "itu_labels": dict(ITUIndicator.choices),
        "statuses": statuses,
        "current_index": statuses.index(current.status) if current else 0,
    }
    return render(request, "coaching/teacher.html", context)


@coach_record
def challenge_new(request, teacher_id: int):
    enrollment = selectors.teacher_enrollment(request.user, teacher_id)
    if keyed := to_keyed_page(request):
        return keyed
    form = BrainstormForm(request.POST or None, initial={"submission_key": page_key(request)})
    if form.is_valid() and (
        url := run_once(
            request, form, services.challenge_start, enrollment=enrollment, problems=form.cleaned_data["problems"],
            landing=lambda challenge: reverse("coaching:identify", kwargs={"challenge_id": challenge.pk}),
            conflict=reverse("coaching:teacher", kwargs={"teacher_id": teacher_id}),  # its open challenge
        )
    ):  # fmt: skip
        return redirect(url)
    return render(request, "coaching/challenge_new.html", {"form": form, "enrollment": enrollment})


@coach_record
def identify(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    if challenge.status != Status.IDENTIFY:
        return _to_teacher(challenge)
    brainstorm = BrainstormForm(initial={"problems": "\n".join(challenge.problems)})
    form = IdentifyForm(request.POST or None, challenge=challenge)
    if form.is_valid():
        data = form.cleaned_data
        done = run_service(form, services.challenge_identify, challenge=challenge, problems=challenge.problems, **data)
        if done:
            messages.success(request, "Challenge chosen. Next: investigate strategies with the teacher.")
            return redirect("coaching:investigate", challenge_id=challenge.pk)
    return render(request, "coaching/identify.html", {"form": form, "brainstorm": brainstorm, "challenge": challenge})


@coach_record
@require_POST
def brainstorm(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    form = BrainstormForm(request.POST)
    if form.is_valid() and run_service(
        form, services.challenge_brainstorm, challenge=challenge, problems=form.cleaned_data["problems"]
    ):
        return redirect("coaching:identify", challenge_id=challenge.pk)
    messages.error(request, form_errors(form))
    return redirect("coaching:identify", challenge_id=challenge.pk)


@coach_record
def investigate(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    if challenge.status != Status.INVESTIGATE:
        return _to_teacher(challenge)
    district = request.membership.district
    filters = LibraryFilterForm(request.GET or None)
    fit = selectors.challenge_fit(challenge)
    strategies = selectors.library_ranked(district, fit, **(filters.cleaned_data if filters.is_valid() else {}))
    candidate_form = CandidateForm(request.POST or None, district=district)
    if candidate_form.is_valid() and (
        url := run_once(
            request, candidate_form, services.candidate_add, challenge=challenge, **candidate_form.cleaned_data,
            landing=lambda candidate: request.get_full_path(), conflict=request.get_full_path(),
            success=lambda candidate: f"“{candidate.strategy}” added as a candidate.",
        )
    ):  # fmt: skip
        return redirect(url)
    candidates = list(challenge.candidates.select_related("strategy"))
    show_all = request.GET.copy()
    show_all["show"] = "all"
    context = {
        "challenge": challenge,
        "filters": filters,
        "fit": fit,
        "strategies": strategies,
        "shown": selectors.LIBRARY_SHOWN,
        "show_all": request.GET.get("show") == "all",
        "show_all_query": show_all.urlencode(),
        "candidate_ids": {candidate.strategy_id for candidate in candidates},
        "candidates": candidates,
        "candidate_form": candidate_form,
        "new_strategy_form": NewStrategyForm(),
        "done_form": InvestigationDoneForm(),
    }
    return render(request, "coaching/investigate.html", context)


@coach_record
def strategy_new(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    if keyed := to_keyed_page(request):
        return keyed
    form = NewStrategyForm(request.POST or None, initial={"submission_key": page_key(request)})
    investigate_url = reverse("coaching:investigate", kwargs={"challenge_id": challenge.pk})
    if form.is_valid() and (
        url := run_once(
            request, form, services.strategy_create, challenge=challenge, actor=request.user, **form.cleaned_data,
            landing=lambda candidate: investigate_url, conflict=investigate_url,
            success=lambda candidate: f"“{candidate.strategy}” added to the library and as a candidate.",
        )
    ):  # fmt: skip
        return redirect(url)
    return render(request, "coaching/strategy_new.html", {"form": form, "challenge": challenge})


@coach_record
@require_POST
def investigation_done(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    form = InvestigationDoneForm(request.POST)
    if form.is_valid() and run_service(form, services.investigation_finish, challenge=challenge, **form.cleaned_data):
        return redirect("coaching:select", challenge_id=challenge.pk)
    messages.error(request, form_errors(form))
    return redirect("coaching:investigate", challenge_id=challenge.pk)


@coach_record
def select(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    if challenge.status != Status.SELECT:
        return _to_teacher(challenge)
    form = SelectForm(request.POST or None, challenge=challenge)
    if form.is_valid() and run_service(
        form, services.challenge_select_strategy, challenge=challenge, **form.cleaned_data
    ):
        messages.success(request, "Strategy selected. Cycle 1 begins: plan the first meeting.")
        return _to_teacher(challenge)
    return render(request, "coaching/select.html", {"form": form, "challenge": challenge})


@coach_record
@require_POST
def back_to_investigate(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    if run_action(
        request, services.challenge_move, success="Back to investigating.", challenge=challenge, to=Status.INVESTIGATE
    ):
        return redirect("coaching:investigate", challenge_id=challenge.pk)
    return _to_teacher(challenge)


def _step_saved(step: Step, *, was_done: bool = False) -> str:
    """Say which happened: logged as done, a done step corrected, or scheduled (and for when)."""
    if step.done and was_done:
        return f"{step.get_kind_display()} updated."
    if step.done:
        return f"{step.get_kind_display()} logged as done."
    return f"{step.get_kind_display()} scheduled for {moves.when(step.starts_at)}."


@coach_record
def step_new(request, challenge_id: int, kind: str):
    challenge = _challenge(request, challenge_id)
    if kind not in Step.Kind.values:
        raise Http404
    if keyed := to_keyed_page(request):
        return keyed
    data, initial = request.POST or None, {"submission_key": page_key(request)}
    # A posted form shows what was posted: the suggested values are the blank form's only.
    if data is None and challenge.status == Status.IMPLEMENT and (cycle := challenge.current_cycle):
        initial |= selectors.step_initial(challenge, cycle, kind, log="schedule" not in request.GET)
    form = StepForm(data, kind=kind, initial=initial)
    teacher_url = _teacher_url(challenge)
    if form.is_valid() and (
        url := run_once(
            request, form, services.step_log, challenge=challenge, kind=kind, **form.service_fields(),
            landing=lambda step: teacher_url, conflict=teacher_url, success=_step_saved,
        )
    ):  # fmt: skip
        return redirect(url)
    context = {"form": form, "challenge": challenge, "kind_label": Step.Kind(kind).label}
    return render(request, "coaching/step_form.html", context)


@coach_record
def step_edit(request, step_id: int):
    step = selectors.step(request.user, step_id)
    challenge = step.cycle.challenge
    form = StepForm.for_step(step, request.POST or None, log="log" in request.GET)
    was_done = step.done
    if form.is_valid() and run_service(form, services.step_update, step=step, **form.service_fields()):
        messages.success(request, _step_saved(step, was_done=was_done))
        return _to_teacher(challenge)
    context = {"form": form, "challenge": challenge, "step": step, "kind_label": step.get_kind_display()}
    return render(request, "coaching/step_form.html", context)


@coach_record
def step_cancel(request, step_id: int):
    """Cancel a scheduled step: a confirmation page, then a POST that deletes it and cancels it in calendars."""
    step = selectors.step(request.user, step_id)
    challenge = step.cycle.challenge
    refusal = services.step_cancel_refusal(step=step)
    if request.method == "POST":
        label = step.get_kind_display()
        if run_action(request, services.step_cancel, success=f"{label} cancelled.", step=step):
            return _to_teacher(challenge)
        return redirect("coaching:step_cancel", step_id=step.pk)
    context = {"step": step, "challenge": challenge, "refusal": refusal, "kind_label": step.get_kind_display()}
    return render(request, "coaching/step_cancel.html", context)


@coach_record
@require_POST
def cycle_new(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    teacher_url = _teacher_url(challenge)
    return redirect(
        run_action_once(
            request, services.cycle_start, challenge=challenge, landing=lambda cycle: teacher_url,
            conflict=teacher_url, success=lambda cycle: f"Cycle {cycle.number} started.",
        )
    )  # fmt: skip


@coach_record
def reflect(request, challenge_id: int):
    challenge = _challenge(request, challenge_id)
    form = ReflectForm(request.POST or None, challenge=challenge)
    if request.method == "GET" and (refusal := services.reflect_refusal(challenge=challenge)):
        messages.error(request, refusal_message(refusal))
        return _to_teacher(challenge)
    teacher_url = _teacher_url(challenge)
    if form.is_valid() and (
        url := run_once(
            request, form, services.challenge_reflect, challenge=challenge, **form.cleaned_data,
            landing=lambda reflection: teacher_url, conflict=teacher_url,
            success=lambda reflection: _REFLECT_MESSAGES[reflection.decision],
        )
    ):  # fmt: skip
        return redirect(url)
    return render(request, "coaching/reflect.html", {"form": form, "challenge": challenge})


_REFLECT_MESSAGES = {
    "resolved": "Challenge resolved and closed. Well done! Start a new challenge when the teacher is ready.",
    "iterate": "Reflection saved. A new cycle has started.",
    "move_on": "Challenge closed. Start a new challenge when the teacher is ready.",
}


@coach_record
def itu_rate(request, teacher_id: int):
    enrollment = selectors.teacher_enrollment(request.user, teacher_id)
    form = ITUForm(request.POST or None)
    teacher_url = reverse("coaching:teacher", kwargs={"teacher_id": teacher_id})
    if form.is_valid() and (
        url := run_once(
            request, form, services.itu_rate, enrollment=enrollment, phase=form.cleaned_data["phase"],
            rated_on=form.cleaned_data["rated_on"], scores=form.scores(),
            landing=lambda rating: teacher_url, conflict=teacher_url, success="ITU rating saved.",
        )
    ):  # fmt: skip
        return redirect(url)
    return render(request, "coaching/itu_form.html", {"form": form, "enrollment": enrollment})


@coach_required
def activities(request):
    activities = selectors.coach_activities(request.user).select_related("enrollment__teacher", "school")
    activities = activities.prefetch_related("standards")[:100]
    return render(request, "coaching/activities.html", {"activities": activities, "kinds": Activity.Kind.choices})


@coach_required
def activity_new(request, kind: str):
    if kind not in Activity.Kind.values:
        raise Http404
    if keyed := to_keyed_page(request):
        return keyed
    caseload = selectors.caseload(request.user)
    teacher_id = request.GET.get("teacher", "")
    initial = {"submission_key": page_key(request)}
    if teacher_id.isdigit():
        initial["enrollment"] = caseload.filter(teacher_id=teacher_id).first()
    form = ActivityForm(
        request.POST or None, kind=kind, caseload=caseload, schools=request.membership.schools.all(), initial=initial
    )
    activities_url = reverse("coaching:activities")
    if form.is_valid() and (
        url := run_once(
            request, form, services.activity_log, actor=request.user, kind=kind, **form.cleaned_data,
            landing=lambda activity: activities_url, conflict=activities_url,
            success=f"{Activity.Kind(kind).label} logged.",
        )
    ):  # fmt: skip
        return redirect(url)
    context = {"form": form, "kind_label": Activity.Kind(kind).label, "kind": kind}
    return render(request, "coaching/activity_form.html", context)


# --- stories of impact ------------------------------------------------------------------------------


@coach_required
def stories(request):
    return render(request, "coaching/stories.html", {"stories": selectors.coach_stories(request.user)})


@coach_required
def story_new(request):
    if keyed := to_keyed_page(request):
        return keyed
    initial = {"submission_key": page_key(request)}
    form = StoryForm(request.POST or None, caseload=selectors.caseload(request.user), initial=initial)
    stories_url = reverse("coaching:stories")
    if form.is_valid() and (
        url := run_once(
            request, form, services.story_save, actor=request.user, **form.cleaned_data,
            landing=lambda story: stories_url, conflict=stories_url, success="Story saved.",
        )
    ):  # fmt: skip
        return redirect(url)
    return render(request, "coaching/story_form.html", {"form": form})


@coach_record
def story_edit(request, story_id: int):
    story = selectors.story(request.user, story_id)
    form = StoryForm.for_story(story, request.POST or None, caseload=selectors.coach_enrollments(request.user))
    if form.is_valid() and run_service(
        form, services.story_save, actor=request.user, instance=story, **form.cleaned_data
    ):
        messages.success(request, "Story saved.")
        return redirect("coaching:stories")
    return render(request, "coaching/story_form.html", {"form": form, "story": story})


# --- the coach's calendar ---------------------------------------------------------------------------


@coach_required
def calendar(request):
    """The coach's calendar settings: the subscription link (copy it, replace it, turn it off)."""
    feed = selectors.calendar_feed(request.user)
    # From SITE_URL (or, in development, the address this page came to): calendars poll it from outside.
    link = ""
    if feed:
        link = site_url(request) + reverse("coaching:calendar_feed", args=[services.feed_token(feed)])
    return render(request, "coaching/calendar.html", {"feed": feed, "link": link})


@coach_required
@require_POST
def calendar_renew(request):
    had = selectors.calendar_feed(request.user) is not None
    success = "New link made: the old one no longer works." if had else "Your calendar link is ready."
    run_action(request, services.calendar_feed_renew, success=success, actor=request.user)
    return redirect("coaching:calendar")


@coach_required
@require_POST
def calendar_revoke(request):
    run_action(request, services.calendar_feed_revoke, success="Calendar link turned off.", actor=request.user)
    return redirect("coaching:calendar")


def calendar_feed(request, token: str):
    """The coach's subscription (no sign-in: calendars poll it); an unknown or revoked token is a 404."""
    feed = selectors.feed_for_token(token)
    if feed is None:
        raise Http404
    steps, activities = selectors.feed_entries(feed.coach)
    body = invitations.feed_calendar(coach_name=str(feed.coach), steps=steps, activities=activities)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cadence.ics"'
    return response
