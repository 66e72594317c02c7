"""The coaching cycle's writes: the state machine, its guards, and what each service refuses."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import School
from coaching import selectors, services
from coaching.forms import ActivityForm, IdentifyForm, InvestigationDoneForm, ReflectForm, SelectForm, StepForm
from coaching.models import (
    Activity,
    Challenge,
    ChallengeCategory,
    Goal,
    ITUIndicator,
    ITURating,
    ITUScore,
    Reflection,
    Step,
    StrategyCandidate,
)
from coaching.moves import when
from standards.catalog import DEFAULT_TAGS, default_standards
from testing import factories as f
from testing.factories import PROBLEMS, at, challenge_at, complete_cycle, day, log, refused

pytestmark = pytest.mark.django_db

Status = Challenge.Status
Kind = Step.Kind
Decision = Reflection.Decision


# --- helpers -------------------------------------------------------------------------------------


def status_in_db(challenge: Challenge) -> str:
    return Challenge.objects.values_list("status", flat=True).get(pk=challenge.pk)


def last_contact(cast) -> datetime.date | None:
    cast.enrollment.refresh_from_db()
    return cast.enrollment.last_contact_on


# --- the state machine ---------------------------------------------------------------------------

# Spelled out rather than read from services.TRANSITIONS, so that a new move there fails a test.
LEGAL_MOVES = {
    (Status.IDENTIFY, Status.INVESTIGATE),
    (Status.INVESTIGATE, Status.SELECT),
    (Status.INVESTIGATE, Status.IDENTIFY),
    (Status.SELECT, Status.IMPLEMENT),
    (Status.SELECT, Status.INVESTIGATE),
    (Status.IMPLEMENT, Status.REFLECT),
    (Status.REFLECT, Status.IMPLEMENT),
    (Status.REFLECT, Status.CLOSED),
}
ILLEGAL_MOVES = [(a, b) for a in Status.values for b in Status.values if (a, b) not in LEGAL_MOVES]


def meet_guard(cast, challenge: Challenge, to: str) -> None:
    """Give the challenge what its guard asks for before going to `to` (each guard is tested below)."""
    if (challenge.status, to) == (Status.IDENTIFY, Status.INVESTIGATE):
        challenge.title, challenge.category = PROBLEMS[0], ChallengeCategory.INSTRUCTIONAL
        challenge.save()
    elif to == Status.SELECT:
        services.candidate_add(challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.PLN)
    elif (challenge.status, to) == (Status.SELECT, Status.IMPLEMENT):
        challenge.strategy = cast.strategy
        challenge.save()
        challenge.tools.set([cast.tool])
    elif to == Status.REFLECT:
        complete_cycle(challenge)


def test_it_knows_exactly_the_moves_of_the_coaching_model() -> None:
    moves = {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets}

    assert moves == LEGAL_MOVES
    assert set(services.TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize(("start", "to"), sorted(LEGAL_MOVES))
def test_it_makes_each_legal_move(cast, start, to) -> None:
    challenge = challenge_at(cast, start)
    meet_guard(cast, challenge, to)

    services.challenge_move(challenge=challenge, to=to)

    assert status_in_db(challenge) == to


@pytest.mark.parametrize(("start", "to"), ILLEGAL_MOVES)
def test_it_refuses_each_illegal_move(cast, start, to) -> None:
    challenge = challenge_at(cast, start)

    with refused(f"A challenge cannot go from “{Status(start).label}” to “{Status(to).label}”."):
        services.challenge_move(challenge=challenge, to=to)

    assert status_in_db(challenge) == start


@pytest.mark.parametrize(
    ("title", "category"), [("", ""), (PROBLEMS[0], ""), ("", ChallengeCategory.PROFESSIONAL_GROWTH)]
)
def test_it_investigates_only_a_chosen_and_categorised_challenge(cast, title, category) -> None:
    challenge = challenge_at(cast, Status.IDENTIFY)
    challenge.title, challenge.category = title, category
    challenge.save()

    with refused("Choose the challenge and its category before investigating strategies."):
        services.challenge_move(challenge=challenge, to=Status.INVESTIGATE)


def test_it_selects_only_after_a_candidate_strategy(cast) -> None:
    challenge = challenge_at(cast, Status.INVESTIGATE)

    with refused("Add at least one candidate strategy before selecting one."):
        services.investigation_finish(challenge=challenge)

    assert status_in_db(challenge) == Status.INVESTIGATE


@pytest.mark.parametrize("with_strategy", [False, True])
def test_it_implements_only_a_selected_strategy_with_tools(cast, with_strategy) -> None:
    challenge = challenge_at(cast, Status.SELECT)
    if with_strategy:  # a strategy alone is not enough: the focus statement needs its tools
        challenge.strategy = cast.strategy
        challenge.save()

    with refused("Select a strategy and at least one tool before implementing."):
        services.challenge_move(challenge=challenge, to=Status.IMPLEMENT)


@pytest.mark.parametrize("logged", [(), (Kind.PLAN_MEETING, Kind.VISIT)])
def test_it_reflects_only_after_a_completed_cycle(cast, logged) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    for offset, kind in enumerate(logged):
        log(challenge, kind, days=offset - 3)

    with refused("Reflect once a meet → visit → meet cycle is complete (its debrief is done)."):
        services.challenge_move(challenge=challenge, to=Status.REFLECT)


# --- the five steps, start to finish -------------------------------------------------------------


def test_it_walks_a_challenge_through_the_five_steps(cast) -> None:
    challenge = services.challenge_start(
        enrollment=cast.enrollment, problems=[" Students wait for answers ", "", "Group work stalls"]
    )
    assert (challenge.status, challenge.problems) == (Status.IDENTIFY, PROBLEMS)

    goal = Goal.objects.create(district=cast.district, school=cast.school, title="Every student collaborates")
    services.challenge_identify(
        challenge=challenge, problems=PROBLEMS, title="Group work stalls", improvement="shared work in groups",
        category=ChallengeCategory.INSTRUCTIONAL, root_cause_notes="Roles are unclear.", goal=goal,
        standards=default_standards("identify"),
    )  # fmt: skip
    challenge.refresh_from_db()
    assert (challenge.status, challenge.title, challenge.goal) == (Status.INVESTIGATE, "Group work stalls", goal)
    assert [s.code for s in challenge.identify_standards.all()] == ["1B"]

    services.candidate_add(challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.RESEARCH)
    created = services.strategy_create(
        challenge=challenge, actor=cast.alice, source=StrategyCandidate.Source.COLLEAGUE, notes="From Ms. Lee.",
        title="Group role cards", category=ChallengeCategory.INSTRUCTIONAL, itu_indicator=ITUIndicator.COLLABORATION,
    )  # fmt: skip
    new_strategy = created.strategy
    assert (new_strategy.district, new_strategy.created_by) == (cast.district, cast.alice)
    assert [c.strategy for c in challenge.candidates.all()] == [cast.strategy, new_strategy]

    services.investigation_finish(challenge=challenge, standards=default_standards("investigate"))
    assert status_in_db(challenge) == Status.SELECT

    services.challenge_select_strategy(challenge=challenge, strategy=new_strategy, tools=[cast.tool])
    challenge.refresh_from_db()
    assert (challenge.status, challenge.strategy, list(challenge.tools.all())) == (
        Status.IMPLEMENT, new_strategy, [cast.tool]
    )  # fmt: skip
    cycle = challenge.cycles.get()
    assert (cycle.number, cycle.strategy, cycle.completed_on) == (1, new_strategy, None)

    log(challenge, Kind.PLAN_MEETING, days=-3, next_steps="Try the role cards on Tuesday.")
    log(challenge, Kind.VISIT, days=-2, visit_mode=Step.VisitMode.CO_TEACH, data_collected="4 of 6 groups on task")
    log(challenge, Kind.DEBRIEF, days=-1)
    cycle.refresh_from_db()
    assert cycle.completed_on == day(-1)

    services.challenge_reflect(challenge=challenge, decision=Decision.RESOLVED, held_on=day(), minutes=45)
    challenge.refresh_from_db()
    assert (challenge.status, challenge.outcome, challenge.closed_on) == (
        Status.CLOSED, Challenge.Outcome.RESOLVED, day()
    )  # fmt: skip
    assert challenge.reflections.get().decision == Decision.RESOLVED


def test_it_iterates_with_a_new_cycle_and_optionally_a_new_strategy(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    complete_cycle(challenge)
    other = f.StrategyFactory(district=cast.district, title="Exit tickets")

    services.challenge_reflect(
        challenge=challenge, decision=Decision.ITERATE, held_on=day(), minutes=30, new_strategy=other
    )

    challenge.refresh_from_db()
    assert (challenge.status, challenge.strategy, challenge.outcome, challenge.closed_on) == (
        Status.IMPLEMENT, other, "", None
    )  # fmt: skip
    assert [(c.number, c.strategy) for c in challenge.cycles.all()] == [(1, cast.strategy), (2, other)]


def test_it_iterates_with_the_same_strategy_when_none_is_chosen(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    complete_cycle(challenge)

    services.challenge_reflect(challenge=challenge, decision=Decision.ITERATE, held_on=day(), minutes=30)

    assert challenge.current_cycle.number == 2
    assert challenge.current_cycle.strategy == cast.strategy
    assert status_in_db(challenge) == Status.IMPLEMENT


def test_it_closes_a_challenge_unresolved_on_move_on(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    complete_cycle(challenge)

    services.challenge_reflect(challenge=challenge, decision=Decision.MOVE_ON, held_on=day(-1), minutes=30)

    challenge.refresh_from_db()
    assert (challenge.status, challenge.outcome, challenge.closed_on) == (
        Status.CLOSED, Challenge.Outcome.MOVED_ON, day(-1)
    )  # fmt: skip


def test_it_starts_a_new_challenge_once_the_last_one_is_closed(cast) -> None:
    closed = challenge_at(cast, Status.CLOSED)

    challenge = services.challenge_start(enrollment=cast.enrollment, problems=["Feedback comes too late"])

    assert challenge.pk != closed.pk
    assert challenge.status == Status.IDENTIFY


# --- what each step refuses ----------------------------------------------------------------------


def test_it_refuses_a_second_open_challenge(cast) -> None:
    challenge_at(cast, Status.SELECT)

    with refused("This teacher already has an open challenge; close it before starting another."):
        services.challenge_start(enrollment=cast.enrollment, problems=PROBLEMS)


def test_it_refuses_a_challenge_for_an_ended_enrollment(cast) -> None:
    cast.enrollment.ends_on = day(-1)
    cast.enrollment.save()

    with refused("This teacher is no longer on your caseload."):
        services.challenge_start(enrollment=cast.enrollment, problems=PROBLEMS)


@pytest.mark.parametrize(
    ("problems", "message"),
    [
        (["", "   "], "Write down at least one problem of practice."),
        (["Group work stalls", " Group work stalls"], "Each problem of practice should appear once."),
    ],
)
def test_it_refuses_an_empty_or_repeated_brainstorm(cast, problems, message) -> None:
    with refused(message, field="problems"):
        services.challenge_start(enrollment=cast.enrollment, problems=problems)


def test_it_identifies_only_a_brainstormed_problem(cast) -> None:
    challenge = challenge_at(cast, Status.IDENTIFY)

    with refused("Choose one of the brainstormed problems of practice.", field="title"):
        services.challenge_identify(
            challenge=challenge, problems=PROBLEMS, title="Something else", improvement="x",
            category=ChallengeCategory.INSTRUCTIONAL,
        )  # fmt: skip

    assert status_in_db(challenge) == Status.IDENTIFY


def test_it_asks_what_to_improve_as_the_focus_statement_needs_it(cast) -> None:
    challenge = challenge_at(cast, Status.IDENTIFY)

    with refused(services.IMPROVEMENT_MISSING, field="improvement"):
        services.challenge_identify(
            challenge=challenge, problems=PROBLEMS, title=PROBLEMS[0], improvement="  ",
            category=ChallengeCategory.INSTRUCTIONAL,
        )  # fmt: skip

    assert status_in_db(challenge) == Status.IDENTIFY


def test_it_falls_back_to_the_title_for_a_challenge_identified_before_what_to_improve(cast) -> None:
    challenge = challenge_at(cast, Status.SELECT)
    Challenge.objects.filter(pk=challenge.pk).update(improvement="")
    challenge.refresh_from_db()

    assert challenge.focus_statement.startswith("Towards the goal of improving Students wait for answers, ")


def test_it_refuses_a_goal_of_another_district(cast) -> None:
    challenge = challenge_at(cast, Status.IDENTIFY)
    elsewhere = Goal.objects.create(district=f.DistrictFactory(), title="Their goal")

    with refused("Choose a goal of this district.", field="goal"):
        services.challenge_identify(
            challenge=challenge, problems=PROBLEMS, title=PROBLEMS[0], improvement="x",
            category=ChallengeCategory.INSTRUCTIONAL, goal=elsewhere,
        )  # fmt: skip


def test_it_refuses_a_duplicate_candidate(cast) -> None:
    challenge = challenge_at(cast, Status.INVESTIGATE)
    services.candidate_add(challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.RESEARCH)

    with refused(f"“{cast.strategy}” is already a candidate.", field="strategy"):
        services.candidate_add(challenge=challenge, strategy=cast.strategy, source=StrategyCandidate.Source.PLN)

    assert challenge.candidates.count() == 1


@pytest.mark.parametrize("title", ["Think-pair-share with a shared doc", "  THINK-PAIR-SHARE with a shared doc "])
def test_it_refuses_a_coachs_new_strategy_whose_title_the_library_has(cast, title) -> None:
    """The library's one-title rule holds on the coach's path too (step 2), not only on the admin's."""
    challenge = challenge_at(cast, Status.INVESTIGATE)

    with refused(f"The library already has “{title.strip()}”.", field="title"):
        services.strategy_create(
            challenge=challenge, actor=cast.alice, source="research", title=title, category="instructional",
            itu_indicator="collaboration",
        )  # fmt: skip

    assert cast.district.strategies.count() == 1
    assert not challenge.candidates.exists()


@pytest.mark.parametrize("which", ["other district", "retired"])
def test_it_refuses_a_candidate_outside_the_district_library(cast, which) -> None:
    challenge = challenge_at(cast, Status.INVESTIGATE)
    if which == "retired":
        strategy = f.StrategyFactory(district=cast.district, retired_at=timezone.now())
    else:
        strategy = f.StrategyFactory(district=f.DistrictFactory())

    with refused("Choose a strategy from your district's library.", field="strategy"):
        services.candidate_add(challenge=challenge, strategy=strategy, source=StrategyCandidate.Source.RESEARCH)


def test_it_selects_only_a_candidate_strategy(cast) -> None:
    challenge = challenge_at(cast, Status.SELECT)
    not_a_candidate = f.StrategyFactory(district=cast.district)

    with refused("Choose one of the candidate strategies.", field="strategy"):
        services.challenge_select_strategy(challenge=challenge, strategy=not_a_candidate, tools=[cast.tool])

    assert not challenge.cycles.exists()


@pytest.mark.parametrize("which", ["none", "other district", "retired"])
def test_it_selects_at_least_one_tool_of_the_district_library(cast, which) -> None:
    challenge = challenge_at(cast, Status.SELECT)
    tools = {
        "none": [],
        "other district": [cast.tool, f.ToolFactory(district=f.DistrictFactory())],
        "retired": [f.ToolFactory(district=cast.district, retired_at=timezone.now())],
    }[which]

    with refused("Choose at least one tool from your district's library.", field="tools"):
        services.challenge_select_strategy(challenge=challenge, strategy=cast.strategy, tools=tools)

    assert status_in_db(challenge) == Status.SELECT
    assert not challenge.cycles.exists()


# --- the focus statement -------------------------------------------------------------------------


def test_it_leaves_placeholders_in_the_focus_statement_until_chosen(cast) -> None:
    placeholders = (
        "Towards the goal of improving [what to improve], the teacher will attempt [strategy]. "
        "The teacher will utilize [tool(s)] to support this strategy."
    )

    assert Challenge().focus_statement == placeholders
    assert challenge_at(cast, Status.IDENTIFY).focus_statement == placeholders


def test_it_fills_what_to_improve_in_the_focus_statement_once_identified(cast) -> None:
    challenge = challenge_at(cast, Status.SELECT)

    assert challenge.focus_statement == (
        "Towards the goal of improving persistence with hard problems, the teacher will attempt [strategy]. "
        "The teacher will utilize [tool(s)] to support this strategy."
    )


@pytest.mark.parametrize(
    ("tool_names", "utilize"),
    [
        (["Padlet"], "Padlet"),
        (["Flip", "Padlet"], "Flip and Padlet"),
        (["Flip", "Google Slides", "Padlet"], "Flip, Google Slides, and Padlet"),
    ],
)
def test_it_writes_the_focus_statement(cast, tool_names, utilize) -> None:
    challenge = challenge_at(cast, Status.SELECT)
    tools = [f.ToolFactory(district=cast.district, name=name) for name in tool_names]

    services.challenge_select_strategy(challenge=challenge, strategy=cast.strategy, tools=tools)

    assert challenge.focus_statement == (
        "Towards the goal of improving persistence with hard problems, "
        "the teacher will attempt Think-pair-share with a shared doc. "
        f"The teacher will utilize {utilize} to support this strategy."
    )


# --- cycles: meet → visit → meet -----------------------------------------------------------------


def test_it_refuses_a_visit_before_the_planning_meeting(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)

    with refused("Add the planning meeting of this cycle first."):
        log(challenge, Kind.VISIT)

    assert not Step.objects.exists()


def test_it_refuses_a_debrief_before_the_visit(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Kind.PLAN_MEETING, days=-1)

    with refused("Add the classroom visit of this cycle first.", then="Log or schedule the classroom visit"):
        log(challenge, Kind.DEBRIEF)


def test_it_refuses_a_done_visit_while_the_planning_meeting_is_only_scheduled(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Kind.PLAN_MEETING, days=-1, done=False)

    with refused(
        "Log the planning meeting first: the classroom visit is done only after it. "
        "Or untick Done to schedule the classroom visit.",
        then="Log the planning meeting",
    ):
        log(challenge, Kind.VISIT)


def test_it_refuses_a_step_dated_before_the_previous_one(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Kind.PLAN_MEETING, days=-1)

    with refused(f"This step cannot come before the planning meeting ({when(at(-1))}).", field="starts_at"):
        log(challenge, Kind.VISIT, days=-2)


def test_it_refuses_moving_a_step_after_the_next_one(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    plan = log(challenge, Kind.PLAN_MEETING, days=-2)
    log(challenge, Kind.VISIT, days=-1)

    with refused(f"This step cannot come after the classroom visit ({when(at(-1))}).", field="starts_at"):
        services.step_update(step=plan, starts_at=at(0))


def test_it_refuses_a_second_planning_meeting_in_a_cycle(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Kind.PLAN_MEETING, days=-1)

    with refused("Cycle 1 already has a planning meeting.", then="Open the planning meeting"):
        log(challenge, Kind.PLAN_MEETING)


def test_it_refuses_a_visit_without_its_mode(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Kind.PLAN_MEETING, days=-1)

    with refused("Say whether you co-taught, modelled or observed.", field="visit_mode"):
        log(challenge, Kind.VISIT, visit_mode="")


NEXT = {
    Status.IDENTIFY: "Identify the challenge",
    Status.SELECT: "Select strategy and tools",
    Status.CLOSED: "Start a new challenge",
}


@pytest.mark.parametrize("status", [Status.IDENTIFY, Status.SELECT, Status.CLOSED])
def test_it_logs_steps_only_while_implementing(cast, status) -> None:
    challenge = challenge_at(cast, status)

    with refused("Steps are logged while implementing a strategy.", then=NEXT[status]):
        log(challenge, Kind.DEBRIEF)


def test_it_refuses_steps_in_a_completed_cycle(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    complete_cycle(challenge)

    with refused(
        "This cycle is complete: reflect with the teacher, or start another cycle.", then="Reflect on outcomes"
    ):
        log(challenge, Kind.PLAN_MEETING)


def test_it_refuses_a_new_cycle_while_the_current_one_is_unfinished(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Kind.PLAN_MEETING, days=-2)
    log(challenge, Kind.VISIT, days=-1)

    with refused("Finish cycle 1 (its debrief) before starting another.", then="Log or schedule the debrief meeting"):
        services.cycle_start(challenge=challenge)


def test_it_starts_the_next_cycle_once_the_debrief_is_done(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    complete_cycle(challenge)

    cycle = services.cycle_start(challenge=challenge)

    assert (cycle.number, cycle.strategy, cycle.completed_on) == (2, cast.strategy, None)
    log(challenge, Kind.PLAN_MEETING)  # the new cycle takes steps again
    assert cycle.steps.count() == 1


def test_it_refuses_to_reflect_before_a_cycle_is_complete(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Kind.PLAN_MEETING)

    with refused("Finish cycle 1 (its debrief) before reflecting."):
        services.challenge_reflect(challenge=challenge, decision=Decision.RESOLVED, held_on=day(), minutes=30)

    assert status_in_db(challenge) == Status.IMPLEMENT
    assert not Reflection.objects.exists()


def test_it_refuses_to_reflect_before_implementing(cast) -> None:
    challenge = challenge_at(cast, Status.SELECT)

    with refused("Reflect once a meet → visit → meet cycle is complete (its debrief is done)."):
        services.challenge_reflect(challenge=challenge, decision=Decision.RESOLVED, held_on=day(), minutes=30)


def test_it_keeps_a_step_done_while_a_later_step_is_done(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    plan = log(challenge, Kind.PLAN_MEETING, days=-2)
    log(challenge, Kind.VISIT, days=-1)

    with refused("A later step of this cycle is done; this one must stay done."):
        services.step_update(step=plan, done=False)

    plan.refresh_from_db()
    assert plan.done


def test_it_completes_the_cycle_with_its_debrief_and_reopens_it_when_unmarked(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    log(challenge, Kind.PLAN_MEETING, days=-3)
    log(challenge, Kind.VISIT, days=-2)
    debrief = log(challenge, Kind.DEBRIEF, days=-1)
    cycle = debrief.cycle

    cycle.refresh_from_db()
    assert cycle.completed_on == day(-1)

    services.step_update(step=debrief, done=False)

    cycle.refresh_from_db()
    assert cycle.completed_on is None


# --- standards tags ------------------------------------------------------------------------------

EXPECTED_DEFAULT_TAGS = {
    "identify": {"1B"},
    "investigate": {"1C"},
    "select": {"1C"},
    "plan_meeting": {"1C", "1D"},
    "visit": {"1D"},
    "debrief": {"1E"},
    "reflect": {"1E", "1F"},
    "principal_meeting": {"3A"},
    "plc": {"3C"},
    "pd": {"4A"},
    "pln": {"4B"},
    "story": {"3F"},
    "touchpoint": {"2D"},  # our addition to DESIGN.md's list: relationship work
}


def codes(standards) -> set[str]:
    return {standard.code for standard in standards}


def test_it_has_a_default_tag_for_every_kind_of_work() -> None:
    assert {kind: set(tags) for kind, tags in DEFAULT_TAGS.items()} == EXPECTED_DEFAULT_TAGS
    assert set(Step.Kind.values) | set(Activity.Kind.values) <= set(DEFAULT_TAGS)


@pytest.mark.parametrize("kind", Step.Kind.values)
def test_it_pre_ticks_the_default_tags_of_each_step(cast, kind) -> None:
    assert codes(StepForm(kind=kind).initial["standards"]) == EXPECTED_DEFAULT_TAGS[kind]


@pytest.mark.parametrize("kind", Activity.Kind.values)
def test_it_pre_ticks_the_default_tags_of_each_activity(cast, kind) -> None:
    form = ActivityForm(kind=kind, caseload=selectors.caseload(cast.alice), schools=School.objects.all())

    assert codes(form.initial["standards"]) == EXPECTED_DEFAULT_TAGS[kind]


def test_it_pre_ticks_the_default_tags_of_the_five_steps(cast) -> None:
    challenge = challenge_at(cast, Status.IDENTIFY)

    assert codes(IdentifyForm(challenge=challenge).initial["standards"]) == {"1B"}
    assert codes(InvestigationDoneForm().initial["standards"]) == {"1C"}
    assert codes(SelectForm(challenge=challenge).initial["standards"]) == {"1C"}
    assert codes(ReflectForm(challenge=challenge).initial["standards"]) == {"1E", "1F"}


def test_it_keeps_the_tags_a_coach_already_chose(cast) -> None:
    chosen = list(default_standards("pd"))

    assert StepForm(kind=Kind.VISIT, initial={"standards": chosen}).initial["standards"] == chosen


def test_it_saves_the_tags_given_to_a_step(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)

    plan = log(challenge, Kind.PLAN_MEETING, standards=default_standards("plan_meeting"))

    assert codes(plan.standards.all()) == {"1C", "1D"}


# --- impactful technology use --------------------------------------------------------------------

ALL_THREES = {indicator: (3, 3) for indicator in ITUIndicator.values}


def test_it_rates_all_six_indicators(cast) -> None:
    rating = services.itu_rate(
        enrollment=cast.enrollment, phase=ITURating.Phase.BASELINE, rated_on=day(), scores=ALL_THREES
    )

    assert sorted(rating.scores.values_list("indicator", "frequency", "proficiency")) == sorted(
        (indicator, 3, 3) for indicator in ITUIndicator.values
    )


@pytest.mark.parametrize("missing", ITUIndicator.values)
def test_it_refuses_a_rating_missing_an_indicator(cast, missing) -> None:
    scores = {indicator: pair for indicator, pair in ALL_THREES.items() if indicator != missing}

    with refused("Rate all six indicators of impactful technology use."):
        services.itu_rate(enrollment=cast.enrollment, phase=ITURating.Phase.BASELINE, rated_on=day(), scores=scores)

    assert not ITURating.objects.exists()


@pytest.mark.parametrize("pair", [(0, 3), (3, 0), (6, 3), (3, 6)])
def test_it_refuses_ratings_outside_one_to_five(cast, pair) -> None:
    scores = {**ALL_THREES, ITUIndicator.CREATIVITY: pair}

    with refused("Creativity: ratings go from 1 to 5."):
        services.itu_rate(enrollment=cast.enrollment, phase=ITURating.Phase.BASELINE, rated_on=day(), scores=scores)

    assert not ITUScore.objects.exists()


def test_it_replaces_the_scores_when_a_phase_is_rated_again(cast) -> None:
    services.itu_rate(enrollment=cast.enrollment, phase=ITURating.Phase.END, rated_on=day(-7), scores=ALL_THREES)
    fives = {indicator: (5, 4) for indicator in ITUIndicator.values}

    services.itu_rate(enrollment=cast.enrollment, phase=ITURating.Phase.END, rated_on=day(), scores=fives)

    rating = ITURating.objects.get()
    assert (rating.phase, rating.rated_on) == (ITURating.Phase.END, day())
    assert set(rating.scores.values_list("frequency", "proficiency")) == {(5, 4)}
    assert ITUScore.objects.count() == 6


def test_it_keeps_each_phase_apart(cast) -> None:
    for phase in (ITURating.Phase.BASELINE, ITURating.Phase.END):
        services.itu_rate(enrollment=cast.enrollment, phase=phase, rated_on=day(), scores=ALL_THREES)

    assert ITURating.objects.count() == 2
    assert ITUScore.objects.count() == 12


# --- contact with the teacher --------------------------------------------------------------------


def touchpoint(cast, *, days: int = 0, enrollment=None, coach=None) -> Activity:
    return services.activity_log(
        actor=coach or cast.alice, kind=Activity.Kind.TOUCHPOINT, enrollment=enrollment or cast.enrollment,
        channel=Activity.Channel.HALLWAY, held_on=day(days), minutes=5,
    )  # fmt: skip


def test_it_moves_the_last_contact_forward_with_each_kind_of_contact(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    assert last_contact(cast) is None

    log(challenge, Kind.PLAN_MEETING, days=-5)
    assert last_contact(cast) == day(-5)

    touchpoint(cast, days=-4)
    assert last_contact(cast) == day(-4)

    log(challenge, Kind.VISIT, days=-3)
    log(challenge, Kind.DEBRIEF, days=-2)
    assert last_contact(cast) == day(-2)

    services.challenge_reflect(challenge=challenge, decision=Decision.ITERATE, held_on=day(-1), minutes=30)
    assert last_contact(cast) == day(-1)


def test_it_never_moves_the_last_contact_backwards(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    touchpoint(cast, days=0)

    complete_cycle(challenge, days=-10)
    touchpoint(cast, days=-3)
    services.challenge_reflect(challenge=challenge, decision=Decision.RESOLVED, held_on=day(-2), minutes=30)

    assert last_contact(cast) == day(0)


def test_it_does_not_count_a_scheduled_step_as_contact(cast) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)

    plan = log(challenge, Kind.PLAN_MEETING, days=-1, done=False)
    assert last_contact(cast) is None

    services.step_update(step=plan, done=True)
    assert last_contact(cast) == day(-1)


# --- the coach's other work ----------------------------------------------------------------------


def test_it_refuses_a_touchpoint_with_another_coachs_teacher(cast) -> None:
    bobs = f.EnrollmentFactory(program=cast.program, coach=cast.bob, teacher=f.TeacherFactory(school=cast.school))

    with refused("Choose a teacher on your caseload.", field="enrollment"):
        touchpoint(cast, enrollment=bobs)

    assert not Activity.objects.exists()
    bobs.refresh_from_db()
    assert bobs.last_contact_on is None


def test_it_refuses_a_touchpoint_without_a_teacher(cast) -> None:
    with refused("Choose a teacher on your caseload.", field="enrollment"):
        services.activity_log(actor=cast.alice, kind=Activity.Kind.TOUCHPOINT, held_on=day(), minutes=5)


def test_it_files_a_touchpoint_under_the_teachers_school(cast) -> None:
    activity = touchpoint(cast)

    assert (activity.enrollment, activity.school, activity.channel) == (
        cast.enrollment, cast.school, Activity.Channel.HALLWAY
    )  # fmt: skip


def test_it_drops_the_teacher_from_other_activities(cast) -> None:
    activity = services.activity_log(
        actor=cast.alice, kind=Activity.Kind.PLC, school=cast.school, enrollment=cast.enrollment,
        channel=Activity.Channel.EMAIL, held_on=day(), minutes=45, standards=default_standards("plc"),
    )  # fmt: skip

    activity.refresh_from_db()
    assert (activity.enrollment, activity.channel, activity.school) == (None, "", cast.school)
    assert codes(activity.standards.all()) == {"3C"}
    assert last_contact(cast) is None


# --- calendar invitations ------------------------------------------------------------------------


def schedule_plan(cast, captured, **fields) -> Step:
    challenge = challenge_at(cast, Status.IMPLEMENT)
    with captured(execute=True):
        return services.step_log(
            challenge=challenge, kind=Kind.PLAN_MEETING, starts_at=at(2, hour=15), done=False, **fields
        )


def test_it_emails_the_coach_an_invitation_for_a_scheduled_step(
    cast, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    step = schedule_plan(cast, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject.startswith("Planning meeting with Maria Rivera, ")
    (name, content, mimetype) = message.attachments[0]
    assert name == "invite.ics"
    assert mimetype == "application/ics"  # the file; the text/calendar alternative is the invitation itself
    assert message.alternatives[0].mimetype == "text/calendar; method=REQUEST"
    ics = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VEVENT" in ics
    assert step.starts_at.astimezone(datetime.UTC).strftime("DTSTART:%Y%m%dT%H%M%SZ") in ics


def test_it_invites_the_teacher_when_asked(cast, mailoutbox, django_capture_on_commit_callbacks) -> None:
    schedule_plan(cast, django_capture_on_commit_callbacks, invite_teacher=True)

    assert mailoutbox[0].to == ["alice@example.org", "maria@example.org"]


def test_it_invites_only_the_coach_when_the_teacher_has_no_email(
    cast, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    cast.teacher.email = ""
    cast.teacher.save()

    schedule_plan(cast, django_capture_on_commit_callbacks, invite_teacher=True)

    assert mailoutbox[0].to == ["alice@example.org"]


def test_it_sends_no_invitation_for_a_done_step(cast, mailoutbox, django_capture_on_commit_callbacks) -> None:
    challenge = challenge_at(cast, Status.IMPLEMENT)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        log(challenge, Kind.PLAN_MEETING, invite_teacher=True)

    assert callbacks == []
    assert mailoutbox == []
