"""`manage.py demo`: load the Riverside demo district, with coaching data dated around today.

Every coaching record goes through coaching.services, so the demo obeys the same rules as the app; the read
model hears of the load's changes once, at its end (`config.rollups.batched`), in the same transaction.
"""

import datetime
import random
import zoneinfo
from typing import NamedTuple

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import District, Membership, Role, School, User
from coaching import services
from coaching.models import (
    Activity,
    Challenge,
    ChallengeCategory,
    Enrollment,
    Goal,
    GradeBand,
    ITUIndicator,
    ITURating,
    Program,
    Reflection,
    Step,
    Strategy,
    Teacher,
    Tool,
)
from config import rollups
from standards.catalog import default_standards
from standards.models import SelfAssessment, SelfAssessmentRating, Standard

SLUG, TZ = "demo", zoneinfo.ZoneInfo("America/Chicago")
RESET = ".venv/bin/python manage.py demo --reset"
PASSWORD = "cadence-demo"  # noqa: S105 -- the published password of every demo account
LINCOLN, ROOSEVELT = "Lincoln Middle School", "Roosevelt Elementary School"
COACH, COACH2 = "coach@demo.cadence.test", "coach2@demo.cadence.test"
P, V, D = Step.Kind.PLAN_MEETING, Step.Kind.VISIT, Step.Kind.DEBRIEF
INSTR, GROWTH, ITU = ChallengeCategory.INSTRUCTIONAL, ChallengeCategory.PROFESSIONAL_GROWTH, ITUIndicator

# fmt: off
USERS = (  # (role, name, e-mail, schools)
    (Role.COACH, "Jordan Ellis", COACH, (LINCOLN,)),
    (Role.COACH, "Priya Natarajan", COACH2, (ROOSEVELT,)),
    (Role.PRINCIPAL, "Dr. Angela Brooks", "principal@demo.cadence.test", (LINCOLN,)),
    (Role.DISTRICT_ADMIN, "Sam Okafor", "admin@demo.cadence.test", (LINCOLN, ROOSEVELT)),
)
GOALS = {  # key: (school, title); no school means a district goal
    "collaborate": (None, "Every student uses technology to collaborate weekly"),
    "itu": (None, "Raise the share of teachers rated proficient in impactful technology use to 60%"),
    "writing": (LINCOLN, "Raise 8th-grade argumentative writing proficiency by 10 points"),
    "reading": (ROOSEVELT, "Raise the share of 3rd graders reading on grade level to 70%"),
}
TEACHERS = {  # school: (coach, grade band, ((name, subject), ...)); e-mails are first.last@riverside.example.org
    LINCOLN: (COACH, GradeBand.MIDDLE, (
        ("Maya Thompson", "English Language Arts"), ("Marcus Bell", "Science"), ("Elena Vasquez", "Mathematics"),
        ("David Kim", "Social Studies"), ("Rachel Goldberg", "English Language Arts"),
        ("Tyrone Jackson", "Mathematics"), ("Sofia Marquez", "Spanish"), ("Ben Carter", "Science"),
        ("Hannah Lee", "Art"), ("Omar Haddad", "Special Education"),
    )),
    ROOSEVELT: (COACH2, GradeBand.ELEMENTARY, (
        ("Grace Nguyen", "Kindergarten"), ("Luis Ortega", "Grade 1"), ("Aisha Johnson", "Grade 2"),
        ("Emily Walsh", "Grade 3"), ("Noah Fischer", "Grade 3"), ("Keisha Robinson", "Grade 4"),
        ("Daniel Park", "Grade 5"), ("Olivia Martin", "Grade 5"), ("Fatima Rahman", "Music"),
        ("Chris Murphy", "Library Media"),
    )),
}
NO_BASELINE = ("Ben Carter", "Omar Haddad", "Grace Nguyen", "Fatima Rahman", "Chris Murphy")
TOOLS = (  # (name, url, description)
    ("Google Docs", "https://docs.google.com", "Shared documents with comments, suggestions and version history."),
    ("Google Slides", "https://slides.google.com", "Shared slide decks; each group or student can own slides."),
    ("Google Forms", "https://forms.google.com", "Quizzes and surveys with automatic grading and a summary."),
    ("Google Sheets", "https://sheets.google.com", "Spreadsheets and charts, e.g. students tracking their own data."),
    ("Google Classroom", "https://classroom.google.com", "Assignments, feedback, comment banks and class streams."),
    ("Google Drive", "https://drive.google.com", "Shared folders for planning and curriculum resources."),
    ("FigJam", "https://www.figma.com/figjam/", "An online whiteboard for brainstorming and sorting ideas together."),
    ("Padlet", "https://padlet.com", "A shared wall where students post and reply with text, images or video."),
    ("Screencastify", "https://www.screencastify.com", "Records screen and voice, so students can explain a process."),
    ("Kahoot!", "https://kahoot.com", "Game-based quizzes for quick whole-class review."),
    ("Pear Deck", "https://www.peardeck.com", "Interactive slide questions that every student answers live."),
    ("Seesaw", "https://web.seesaw.me", "Student portfolios with drawing, voice and video, shared with families."),
    ("Canva for Education", "https://www.canva.com/education/", "Design tool for posters, infographics and videos."),
    ("Edpuzzle", "https://edpuzzle.com", "Adds questions and voice-over to videos; shows who watched and answered."),
    ("Nearpod", "https://nearpod.com", "Interactive lessons with polls, drawing and collaborate boards."),
    ("Book Creator", "https://bookcreator.com", "Students publish multimedia books with text, audio and images."),
)
STRATEGIES = (  # (title, category, ITU indicator, subject ("" = any), grade band, tools, description)
    ("Station rotation with digital stations", INSTR, ITU.STUDENT_AGENCY, "", "all",
     ("Google Classroom", "Edpuzzle", "Kahoot!"),
     "Small groups rotate between teacher-led, collaborative and online stations, freeing the teacher for one group."),
    ("Digital exit tickets for formative assessment", INSTR, ITU.CRITICAL_THINKING, "", "all",
     ("Google Forms", "Pear Deck"), "Two or three questions at the end of a lesson; results shape tomorrow's groups."),
    ("Peer feedback on shared documents", INSTR, ITU.COLLABORATION, "", "all", ("Google Docs",),
     "Students comment on each other's drafts with a protocol (praise, question, suggestion) before revising."),
    ("Student-created screencasts to explain thinking", INSTR, ITU.COMMUNICATION, "Mathematics", "all",
     ("Screencastify", "Seesaw"), "Students record themselves solving a problem aloud, making reasoning visible."),
    ("Choice boards with digital products", INSTR, ITU.STUDENT_AGENCY, "", "all",
     ("Google Slides", "Canva for Education", "Book Creator"),
     "A grid of tasks toward one learning target; students choose how they show what they know."),
    ("Collaborative slide decks for jigsaw groups", INSTR, ITU.COLLABORATION, "", "middle", ("Google Slides",),
     "Each expert group builds slides on one part of the topic in a shared deck, then teaches the others."),
    ("Backchannel discussion during lessons", INSTR, ITU.COMMUNICATION, "", "middle", ("Padlet",),
     "A moderated online space where every student can ask and answer questions while the lesson runs."),
    ("Self-paced hyperdocs", INSTR, ITU.STUDENT_AGENCY, "", "middle", ("Google Docs", "Edpuzzle"),
     "A lesson in one document (engage, explore, explain, apply) that students work through at their own pace."),
    ("Digital portfolios for reflection", INSTR, ITU.CREATIVITY, "", "all", ("Seesaw", "Google Slides"),
     "Students collect work samples and record short reflections on their growth, shared with families."),
    ("Flipped mini-lessons with embedded questions", INSTR, ITU.CRITICAL_THINKING, "", "all",
     ("Edpuzzle", "Screencastify"),
     "A five-minute video with questions built in frees class time for practice and shows who needs help."),
    ("Online discussion protocols for argument writing", INSTR, ITU.CRITICAL_THINKING, "English Language Arts",
     "middle", ("Padlet", "Google Docs"),
     "Students post a claim, answer an opposing view with evidence, then draft from the thread."),
    ("Real-time polling for misconceptions", INSTR, ITU.CRITICAL_THINKING, "", "all",
     ("Pear Deck", "Nearpod", "Kahoot!"), "Hinge questions mid-lesson reveal misconceptions while there is time."),
    ("Data dashboards for student goal-setting", INSTR, ITU.STUDENT_AGENCY, "", "middle",
     ("Google Sheets", "Google Forms"), "Students log quiz results, chart progress and set a goal for the next unit."),
    ("Collaborative whiteboards for brainstorming", INSTR, ITU.CREATIVITY, "", "all", ("FigJam", "Padlet"),
     "Groups generate and cluster ideas on a shared board before writing or designing."),
    ("Interactive read-alouds with digital responses", INSTR, ITU.COMMUNICATION, "", "elementary",
     ("Seesaw", "Nearpod"), "Students draw or record a response at planned stopping points of a read-aloud."),
    ("Organize digital planning with a shared curriculum folder", GROWTH, ITU.SELECTING_TOOLS, "", "all",
     ("Google Drive", "Google Classroom"), "One shared, consistently named folder per unit for a team's plans."),
    ("Automate feedback with comment banks", GROWTH, ITU.COMMUNICATION, "", "all",
     ("Google Classroom", "Google Docs"), "Reusable comments tied to the rubric make feedback faster and consistent."),
    ("Self-grading quizzes to save grading time", GROWTH, ITU.SELECTING_TOOLS, "", "all", ("Google Forms",),
     "Auto-graded checks for understanding free time for feedback on open-ended work."),
)
# fmt: on


class Story(NamedTuple):
    """A challenge: its first problem is chosen, its first candidate selected (an iterate moves to the second)."""

    teacher: str
    stage: str  # a key of TIMELINES
    opened: int  # school days from today
    problems: tuple[str, ...]
    improve: str = ""  # what to improve: "Towards the goal of improving <improve>, …"
    root_cause: str = ""
    category: str = INSTR
    goal: str = ""
    candidates: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    aim: str = ""
    evidence: str = ""


# fmt: off
TIMELINES = {  # steps and reflections: (step kind or decision, school day, "HH:MM", done)
    "identify": (), "investigate": (), "select": (),
    "overdue": ((P, -1, "14:30", False),),
    "visiting": ((P, -3, "14:00", True), (V, 0, "10:15", False), (D, 2, "14:30", False)),
    "stale": ((P, -12, "14:15", True), (V, -8, "09:30", True)),
    "reflect": ((P, -16, "14:00", True), (V, -12, "10:45", True), (D, -7, "14:30", True)),
    "resolved": ((P, -40, "14:00", True), (V, -36, "09:15", True), (D, -33, "14:30", True),
                 ("resolved", -30, "14:00", True)),
    "iterate": ((P, -30, "14:00", True), (V, -27, "11:00", True), (D, -24, "14:30", True),
                ("iterate", -21, "14:00", True), (P, -2, "14:00", True), (V, 1, "11:00", False)),
}
STORIES = (
    Story("Maya Thompson", "visiting", -10,
          ("Students' argumentative essays ignore counterclaims", "Grading essays takes every weekend"),
          "students' use of counterclaims in argumentative writing",
          "Students draft alone and never hear opposing views; the rubric's counterclaim row averages 1.4 of 4.",
          goal="writing", candidates=("Online discussion protocols for argument writing",
                                      "Peer feedback on shared documents"),
          tools=("Padlet", "Google Docs"), aim="every student posts a claim and answers one opposing post"),
    Story("Marcus Bell", "stale", -20, ("One student does all the work in each lab group", "Lab write-ups are copied"),
          "shared accountability in lab groups",
          "Group roles are informal; the same students hold the materials and the worksheet.", goal="collaborate",
          candidates=("Collaborative slide decks for jigsaw groups", "Collaborative whiteboards for brainstorming"),
          tools=("Google Slides",), aim="each group member owns one slide of the lab report",
          evidence="Revision history: 26 of 30 students edited their own slide."),
    Story("Elena Vasquez", "reflect", -24,
          ("Students cannot explain how they solved a problem", "Homework completion is under 50%"),
          "students' explanations of how they solve problems",
          "Class discussion rewards the first right answer; students rarely hear reasoning modelled.",
          candidates=("Student-created screencasts to explain thinking",
                      "Flipped mini-lessons with embedded questions"),
          tools=("Screencastify", "Google Classroom"), aim="a two-minute recorded explanation of one problem a week",
          evidence="19 of 24 screencasts named the strategy used; 11 explained why it works."),
    Story("David Kim", "resolved", -48,
          ("Students take notes passively during lectures", "Primary-source analysis stays shallow"),
          "active participation during lectures",
          "Lectures run 30+ minutes without a structured way for students to respond.", goal="collaborate",
          candidates=("Backchannel discussion during lessons", "Real-time polling for misconceptions"),
          tools=("Padlet",), aim="two thirds of students post a question or answer in each lecture",
          evidence="24 of 29 students posted; 9 answered a classmate's question."),
    Story("Rachel Goldberg", "iterate", -38,
          ("Struggling readers fall behind during independent work", "Early finishers have nothing meaningful to do"),
          "support for struggling readers during independent work",
          "Whole-class pacing leaves no time for the teacher to sit with small groups.", goal="writing",
          candidates=("Self-paced hyperdocs", "Station rotation with digital stations"),
          tools=("Google Docs", "Edpuzzle"), aim="the teacher meets each small group twice a week",
          evidence="Hyperdoc completion 70%; small-group time still under 10 minutes a period."),
    Story("Tyrone Jackson", "select", -6,
          ("Ratio misconceptions only surface on the unit test", "Students rush through practice sets"),
          "daily checks for understanding in the ratio unit",
          "Checks for understanding are thumbs-up, which hides who is lost.",
          candidates=("Real-time polling for misconceptions", "Digital exit tickets for formative assessment")),
    Story("Sofia Marquez", "investigate", -5,
          ("Students rarely speak Spanish beyond scripted dialogues", "Vocabulary quizzes take long to grade"),
          "students' spontaneous speaking in Spanish",
          "Speaking practice happens only as whole-class choral response.",
          candidates=("Choice boards with digital products",)),
    Story("Ben Carter", "identify", -2, ("Students struggle to design their own experiments",
                                         "Science notebooks are disorganized", "Handing out materials eats time")),
    Story("Hannah Lee", "investigate", -14,
          ("Planning materials are scattered across three drives", "Feedback on sketchbooks takes weeks"),
          "the organization of planning materials",
          "Materials were inherited from two predecessors and never reorganized.", category=GROWTH, goal="itu",
          candidates=("Organize digital planning with a shared curriculum folder",
                      "Automate feedback with comment banks")),
    Story("Grace Nguyen", "identify", -1, ("Centers time is noisy and off task", "Families rarely see classroom work")),
    Story("Luis Ortega", "overdue", -9,
          ("Students cannot describe what they learned this week", "Families ask for more updates"),
          "students' reflection on what they learned each week",
          "Reflection happens only at report-card time.", candidates=("Digital portfolios for reflection",),
          tools=("Seesaw",), aim="every student adds a work sample with a voice reflection each Friday"),
    Story("Aisha Johnson", "visiting", -9,
          ("Students lose focus during read-alouds", "Phonics practice is one-size-fits-all"),
          "student engagement during read-alouds",
          "Read-alouds run 20 minutes with only a few students answering questions.", goal="reading",
          candidates=("Interactive read-alouds with digital responses",), tools=("Seesaw",),
          aim="every student records a response at each of three stopping points"),
    Story("Emily Walsh", "reflect", -24, ("Guided reading groups meet too rarely", "Independent work is busywork"),
          "the time each guided reading group gets with the teacher",
          "The rest of the class needs the teacher's attention during group time.", goal="reading",
          candidates=("Station rotation with digital stations", "Self-paced hyperdocs"),
          tools=("Google Classroom", "Edpuzzle"), aim="each guided reading group meets four times a week",
          evidence="All four groups met; two off-task redirects per rotation."),
    Story("Noah Fischer", "resolved", -46,
          ("Math misconceptions go unnoticed until the test", "Morning work is not purposeful"),
          "the early detection of math misconceptions",
          "No quick daily data on who understood the lesson.",
          candidates=("Digital exit tickets for formative assessment", "Real-time polling for misconceptions"),
          tools=("Google Forms",), aim="students are regrouped daily from exit-ticket results",
          evidence="Exit tickets every day for three weeks; reteach groups formed each morning."),
    Story("Keisha Robinson", "investigate", -4, ("Grading weekly quizzes takes hours", "Parent e-mails pile up"),
          "the efficiency of grading weekly quizzes",
          "Quizzes are on paper and hand-scored.", category=GROWTH,
          candidates=("Self-grading quizzes to save grading time",)),
)
IMPACT_STORIES = (  # (coach, teacher, school day, title, story, shared with the principal, with the district)
    ("coach@demo.cadence.test", "David Kim", -30, "Lab reports that cite evidence",
     "After two cycles of peer feedback on shared documents, every lab group in Mr. Kim's class now cites "
     "at least two pieces of evidence. He presented the protocol at the science department meeting.", True, True),
    ("coach@demo.cadence.test", "Rachel Goldberg", -6, "Readers who keep going",
     "Audio supports and digital choice boards let struggling readers work independently for 20 minutes.", True, False),
    ("coach@demo.cadence.test", "Maya Thompson", -3, "Counterclaims on the board",
     "Students argued both sides in an online discussion before drafting; the teacher is not ready to share yet.",
     False, False),
)  # fmt: skip
TOUCHPOINTS = (  # (coach, teacher, school day, channel, notes): informal contact
    (COACH, "Ben Carter", -1, "hallway", "Quick chat after the staff meeting; set a time to narrow the list."),
    (COACH, "Tyrone Jackson", -2, "email", "Sent two sample polling slides for the ratio unit."),
    (COACH, "Sofia Marquez", -4, "message", "Shared a choice-board template from the world-languages PLN."),
    (COACH, "Hannah Lee", -13, "email", "Sent a folder-structure template; waiting to hear back."),
    (COACH2, "Grace Nguyen", -1, "hallway", "Agreed to meet Thursday to pick one challenge."),
    (COACH2, "Luis Ortega", -6, "email", "Confirmed the Seesaw class codes for families are set up."),
    (COACH2, "Keisha Robinson", -3, "email", "Shared an auto-graded quiz example for fractions."),
    (COACH2, "Daniel Park", -5, "hallway", "Interested in coaching after winter break."),
    (COACH2, "Olivia Martin", -16, "email", "Offered a time to talk about coaching; no reply yet."),
)
ACTIVITIES = (  # (coach, kind, school day, minutes, school or None, notes): school-wide work
    (COACH, "principal_meeting", -4, 30, LINCOLN, "Monthly check-in: participation, the writing goal, PLC dates."),
    (COACH, "plc", -2, 45, LINCOLN, "Demonstrated digital exit tickets at the 8th-grade team PLC."),
    (COACH, "pd", -45, 180, None, "District PD: designing for student agency with technology (1 of 4)."),
    (COACH, "pd", -15, 180, None, "District PD: designing for student agency with technology (2 of 4)."),
    (COACH, "pln", -6, 20, None, "Posted our hyperdoc template and lessons learned to the state coaching network."),
    (COACH, "story", -9, 15, LINCOLN, "Staff newsletter story on jigsaw lab reports (teacher consented)."),
    (COACH2, "principal_meeting", -3, 30, ROOSEVELT, "Check-in on the reading goal and the coaching schedule."),
    (COACH2, "plc", -1, 40, ROOSEVELT, "Showed Seesaw portfolios at the K–2 team meeting."),
    (COACH2, "pd", -45, 180, None, "District PD: designing for student agency with technology (1 of 4)."),
    (COACH2, "pd", -15, 180, None, "District PD: designing for student agency with technology (2 of 4)."),
    (COACH2, "pln", -7, 20, None, "Shared our Friday Seesaw reflection routine with the state coaching network."),
    (COACH2, "story", -20, 15, ROOSEVELT, "Shared exit-ticket regrouping at the staff meeting (teacher consented)."),
)
RECENT = -20  # ACTIVITIES has the coaches' principal meetings, PLCs and PLN posts from this school day on
MONTHLY = (  # (kind, school day of the month, minutes, at the coach's school?, notes): the same, every month before
    ("principal_meeting", 4, 30, True, "Monthly check-in with the principal: participation and coaching themes."),
    ("plc", 9, 45, True, "Shared a strategy from the library at a grade-level team meeting."),
    ("pln", 13, 20, False, "Shared a classroom example and what we learned with the state coaching network."),
)
NOTES = {
    P: "Planned a first run of “{strategy}”. Success looks like: {aim}.",
    "co_teach": "Co-taught: the coach launched the task, the teacher ran the groups.",
    "model": "The coach modelled the routine with one class while the teacher took notes.",
    "observe": "Observed the whole period against the success measure.",
    D: "Looked at the visit data together; most students met the aim. Next: tighten the routine.",
    "resolved": "Resolved: the teacher now runs this without support ({aim}).",
    "iterate": "Not there yet ({aim}); trying “{strategy}” in a second cycle.",
}
# fmt: on


def school_day(offset: int) -> datetime.date:
    """The date `offset` school days (Mon–Fri) from today; 0 is today, whatever day it is."""
    day, step = timezone.localdate(), 1 if offset > 0 else -1
    for _ in range(abs(offset)):
        day += datetime.timedelta(days=step)
        while day.weekday() >= 5:
            day += datetime.timedelta(days=step)
    return day


def offset_of(day: datetime.date) -> int:
    """The school day `day` as an offset from today (school_day's inverse): -1 for the school day before."""
    today, days = timezone.localdate(), 0
    while day < today:
        days -= day.weekday() < 5
        day += datetime.timedelta(days=1)
    return days


def at(offset: int, hhmm: str) -> datetime.datetime:
    """A time of the school day, in the district's time zone."""
    return timezone.make_aware(datetime.datetime.combine(school_day(offset), datetime.time.fromisoformat(hhmm)), TZ)


def rate(enrollment: Enrollment, phase: str, offset: int, rng: random.Random, base: dict | None = None) -> dict:
    """ITU scores: low at baseline; one or two points above `base` later on."""
    scores = {
        indicator: tuple(min(5, score + rng.randint(1, 2)) for score in base[indicator])
        if base
        else (rng.randint(1, 3), rng.randint(1, 3))
        for indicator in ITUIndicator.values
    }
    services.itu_rate(enrollment=enrollment, phase=phase, rated_on=school_day(offset), scores=scores)
    return scores


def play(story: Story, enrollment: Enrollment, lib: dict, baseline: dict) -> None:
    """Take a challenge as far as its stage, through the services, then date its opening."""
    challenge = services.challenge_start(enrollment=enrollment, problems=story.problems)
    advance(challenge, story, lib, baseline.get(enrollment.pk))
    # challenge_start always opens a challenge today; the demo's began weeks ago.
    backdate(challenge, school_day(story.opened))


def advance(challenge: Challenge, s: Story, lib: dict, baseline: dict | None) -> None:
    if s.stage == "identify":
        return
    goal = lib.get(s.goal)
    services.challenge_identify(
        challenge=challenge,
        problems=s.problems,
        title=s.problems[0],
        improvement=s.improve,
        category=s.category,
        root_cause_notes=s.root_cause,
        goal=goal,
        standards=default_standards("identify"),
    )
    for title, source in zip(s.candidates, ("research", "pln", "colleague"), strict=False):
        services.candidate_add(challenge=challenge, strategy=lib[title], source=source)
    if s.stage == "investigate":
        return
    services.investigation_finish(challenge=challenge, standards=default_standards("investigate"))
    if s.stage == "select":
        return
    strategy, tools = lib[s.candidates[0]], [lib[name] for name in s.tools]
    services.challenge_select_strategy(
        challenge=challenge, strategy=strategy, tools=tools, standards=default_standards("select")
    )
    for kind, offset, hhmm, done in TIMELINES[s.stage]:
        if kind in Reflection.Decision.values:  # step 5
            new = lib[s.candidates[1]] if kind == Reflection.Decision.ITERATE else None
            services.challenge_reflect(
                challenge=challenge,
                decision=kind,
                held_on=school_day(offset),
                minutes=30,
                notes=NOTES[kind].format(aim=s.aim, strategy=new),
                standards=default_standards("reflect"),
                new_strategy=new,
            )
            phase = ITURating.Phase.MID if new else ITURating.Phase.END
            rate(challenge.enrollment, phase, offset, random.Random(offset), baseline)
            strategy = new or strategy
            continue
        mode = ("co_teach", "model", "observe")[offset % 3] if kind == V else ""
        services.step_log(
            challenge=challenge,
            kind=kind,
            starts_at=at(offset, hhmm),
            done=done,
            minutes=50 if kind == V else 30,
            visit_mode=mode,
            notes=NOTES[mode or kind].format(strategy=strategy, aim=s.aim) if done else "",
            data_collected=s.evidence if done and kind == V else "",
            standards=default_standards(kind),
        )


EVIDENCE = {  # standard code: evidence a coach writes (the rest get a short generic line)
    "1A": "Built trust with each teacher on my caseload: confidential notes, meetings at their convenience.",
    "1B": "Used the five-whys with every teacher before choosing a challenge; see the identify notes.",
    "1C": "Brought two or three candidate strategies from the library and my PLN to every challenge.",
    "1D": "Ran meet → visit → meet cycles with every teacher; co-taught, modelled and observed.",
    "1E": "Debriefs end with agreed next steps; data from each visit is discussed within a week.",
    "2D": "Hallway and e-mail touchpoints between cycles keep contact every two weeks.",
    "3A": "Monthly meetings with my principal about school goals and coaching themes.",
    "3C": "Led two PLC sessions on formative assessment with digital exit tickets.",
    "4A": "Attended the regional ed-tech coaching conference and shared notes with the team.",
    "4B": "Posted two reflections to our coaching PLN this term.",
}


SCHOOL_GOAL = "the teacher's school's goal"  # in HISTORY: GOALS' goal of the teacher's school
HISTORY = (  # earlier challenges teachers closed this school year: problems, to improve, strategy, tool, goal
    (["Students wait for help instead of trying first", "Early finishers drift off task"],
     "students' independence during practice", "Station rotation with digital stations", "Google Slides",
     "collaborate"),
    (["Feedback on drafts comes too late to use", "Peer review stays superficial"],
     "timely feedback on drafts", "Peer feedback on shared documents", "Google Docs", SCHOOL_GOAL),
    (["Few students explain their reasoning", "Misconceptions surface only on the test"],
     "students' explanations of their reasoning", "Real-time polling for misconceptions", "Pear Deck", "itu"),
)  # fmt: skip
CYCLE_EVERY = 27  # school days from a teacher's cycle to the next, about: with a touchpoint between, contact
# every two weeks or so, and 20 to 30 steps done a month for a caseload of 10
SLOTS = ("09:15", "10:45", "13:00", "14:15", "09:45", "11:15", "13:30", "10:15", "12:30", "14:00")  # by teacher
PAUSED = {"Daniel Park": -25, "Olivia Martin": -30}  # without a challenge now (see TOUCHPOINTS): their last day


def history(enrollment: Enrollment, lib: dict, n: int, first: int, last: int) -> None:
    """The challenges the teacher and coach worked through and closed between school days `first` and
    `last` (offsets from today): cycles about CYCLE_EVERY school days apart, spread evenly from the first
    day to the last (so that every month since the program started has its share), two to a challenge."""
    span = last - 7 - first  # a cycle takes 7 school days, its reflection included
    if span < 0:
        return
    count = 1 + round(span / CYCLE_EVERY)
    days = [first + i * span // max(count - 1, 1) for i in range(count)]
    # Halfway from a cycle's reflection (day + 7) to the next cycle's planning meeting (later + 2).
    touchpoints = [(day + 9 + later) // 2 for day, later in zip(days, days[1:], strict=False)] + [None]
    cycles = list(zip(days, touchpoints, strict=True))
    for i in range(0, count, 2):
        closed_challenge(enrollment, lib, n=n + i // 2, cycles=cycles[i : i + 2], hhmm=SLOTS[n % len(SLOTS)])


def closed_challenge(
    enrollment: Enrollment, lib: dict, *, n: int, cycles: list[tuple[int, int | None]], hhmm: str
) -> None:
    """A challenge opened on the school day of its first cycle. Each of `cycles` (school day, touchpoint's
    school day or None) is a meet → visit → meet cycle from that day, then a reflection (the last one closes
    the challenge) and maybe a touchpoint."""
    problems, improvement, title, tool, goal = HISTORY[n % len(HISTORY)]
    if goal == SCHOOL_GOAL:
        goal = next(key for key, (school, _) in GOALS.items() if school == enrollment.teacher.school.name)
    strategy = lib[title]
    challenge = services.challenge_start(enrollment=enrollment, problems=problems)
    services.challenge_identify(
        challenge=challenge,
        problems=problems,
        title=problems[0],
        improvement=improvement,
        category=INSTR,
        goal=lib[goal],
        standards=default_standards("identify"),
    )
    services.candidate_add(challenge=challenge, strategy=strategy, source="research")
    services.investigation_finish(challenge=challenge, standards=default_standards("investigate"))
    tools = [lib[tool]] if tool in lib else list(strategy.tools.all()[:1])
    services.challenge_select_strategy(challenge=challenge, strategy=strategy, tools=tools)
    for c, (day, touchpoint) in enumerate(cycles):
        for kind, offset in ((P, 2), (V, 4), (D, 6)):
            services.step_log(
                challenge=challenge, kind=kind, starts_at=at(day + offset, hhmm), done=True,
                minutes=45 if kind == V else 25, visit_mode="observe" if kind == V else "",
                standards=default_standards(kind),
            )  # fmt: skip
        final = c == len(cycles) - 1
        decision = Reflection.Decision.ITERATE
        if final:
            decision = Reflection.Decision.RESOLVED if n % 3 else Reflection.Decision.MOVE_ON
        services.challenge_reflect(
            challenge=challenge, decision=decision, held_on=school_day(day + 7), minutes=30 if final else 20,
            standards=default_standards("reflect"),
        )  # fmt: skip
        if touchpoint is not None:
            services.activity_log(
                actor=enrollment.coach, kind=Activity.Kind.TOUCHPOINT, enrollment=enrollment,
                channel=("email", "hallway", "message")[(n + c) % 3], held_on=school_day(touchpoint), minutes=10,
                notes="Asked what to work on next." if final else f"Asked how “{strategy}” is going.",
                standards=default_standards("touchpoint"),
            )  # fmt: skip
    backdate(challenge, school_day(cycles[0][0]))


def backdate(challenge: Challenge, opened_on: datetime.date) -> None:
    """Date the challenge's opening (no service moves it), and tell the read model: its stage tags count
    in the month it opened."""
    Challenge.objects.filter(pk=challenge.pk).update(opened_on=opened_on)
    rollups.changed(enrollment_ids=[challenge.enrollment_id], coach_ids=[challenge.enrollment.coach_id])


def self_assess(coach: User, assessed_on: datetime.date, rng: random.Random, *, lift: int, shared: bool) -> None:
    """A self-assessment of all 18 standards (standards' own models: the demo sits below `dashboard`)."""
    assessment = SelfAssessment.objects.create(coach=coach, assessed_on=assessed_on, shared_with_district=shared)
    SelfAssessmentRating.objects.bulk_create(
        SelfAssessmentRating(
            assessment=assessment,
            standard=standard,
            rating=min(4, rng.randint(1, 3) + lift),
            evidence=EVIDENCE.get(standard.code, "") if lift else "",
        )
        for standard in Standard.objects.order_by("code")
    )


def load() -> dict[str, int]:
    today = timezone.localdate()
    year = today.year if today.month >= 7 else today.year - 1
    district = District.objects.create(name="Riverside Unified School District", slug=SLUG, timezone=str(TZ))
    schools = {name: School.objects.create(district=district, name=name) for name in TEACHERS}
    users = {}
    for role, name, email, school_names in USERS:
        users[email] = User.objects.create_user(email, PASSWORD, full_name=name)
        membership = Membership.objects.create(user=users[email], district=district, role=role)
        membership.schools.set(schools[school] for school in school_names)
    program = Program.objects.create(
        district=district,
        name=f"{year}–{(year + 1) % 100:02d} Instructional Technology Coaching",
        starts_on=min(datetime.date(year, 8, 10), school_day(-60)),
        ends_on=datetime.date(year + 1, 6, 4),
    )
    program.schools.set(schools.values())
    program.coaches.set(users[email] for role, _, email, _ in USERS if role == Role.COACH)
    lib = {key: Goal.objects.create(district=district, school=schools.get(school), title=title)
           for key, (school, title) in GOALS.items()}  # fmt: skip
    for name, url, description in TOOLS:
        lib[name] = Tool.objects.create(district=district, name=name, url=url, description=description)
    for title, category, indicator, subject, band, tools, description in STRATEGIES:
        lib[title] = Strategy.objects.create(
            district=district,
            title=title,
            description=description,
            category=category,
            itu_indicator=indicator,
            subject=subject,
            grade_band=band,
            created_by=users["admin@demo.cadence.test"],
        )
        lib[title].tools.set(lib[name] for name in tools)
    rng, enrollments, baseline = random.Random(2026), {}, {}
    for school, (coach, band, teachers) in TEACHERS.items():
        for name, subject in teachers:
            email = name.lower().replace(" ", ".") + "@riverside.example.org"
            teacher = Teacher.objects.create(
                school=schools[school], name=name, email=email, subject=subject, grade_band=band
            )
            enrollment = Enrollment.objects.create(
                program=program, coach=users[coach], teacher=teacher, starts_on=program.starts_on
            )
            enrollments[name] = enrollment
            if name not in NO_BASELINE:
                baseline[enrollment.pk] = rate(enrollment, ITURating.Phase.BASELINE, -54, rng)
    since, opened = offset_of(program.starts_on), {story.teacher: story.opened for story in STORIES}
    for n, (name, enrollment) in enumerate(enrollments.items()):  # a coach meets each teacher in the first 4 weeks
        last = opened[name] - 3 if name in opened else PAUSED.get(name, -3 - n % 3)
        history(enrollment, lib, n, since + n % 10 * 2 + n // 10, last)
    for story in STORIES:
        play(story, enrollments[story.teacher], lib, baseline)
    for name, enrollment in enrollments.items():  # a mid-year rating for everyone rated at baseline
        if enrollment.pk in baseline and not enrollment.itu_ratings.exclude(phase=ITURating.Phase.BASELINE).exists():
            rate(enrollment, ITURating.Phase.MID, -4, random.Random(name), baseline[enrollment.pk])
    for coach, name, offset, channel, notes in TOUCHPOINTS:
        services.activity_log(
            actor=users[coach],
            kind=Activity.Kind.TOUCHPOINT,
            enrollment=enrollments[name],
            channel=channel,
            held_on=school_day(offset),
            minutes=10,
            notes=notes,
            standards=default_standards("touchpoint"),
        )
    for coach, name, offset, title, story, principal, district_wide in IMPACT_STORIES:
        services.story_save(
            actor=users[coach], enrollment=enrollments[name], title=title, story=story, told_on=school_day(offset),
            share_with_principal=principal, share_with_district=district_wide,
        )  # fmt: skip
    monthly = [
        (email, kind, month + day, minutes, names[0] if own else None, notes)
        for role, _, email, names in USERS
        if role == Role.COACH
        for month in range(since, RECENT, 21)
        for kind, day, minutes, own, notes in MONTHLY
        if month + day < RECENT
    ]
    for coach, kind, offset, minutes, school, notes in (*monthly, *ACTIVITIES):
        services.activity_log(
            actor=users[coach],
            kind=kind,
            school=schools.get(school),
            held_on=school_day(offset),
            minutes=minutes,
            notes=notes,
            standards=default_standards(kind),
        )
    for i, (role, _, email, _) in enumerate(USERS):
        if role == Role.COACH:
            rng = random.Random(i)
            self_assess(users[email], program.starts_on, rng, lift=0, shared=False)
            self_assess(users[email], school_day(-25), rng, lift=1, shared=False)
            self_assess(users[email], school_day(-1), rng, lift=1, shared=email == COACH)
    return {
        "schools": len(schools),
        "teachers": len(enrollments),
        "strategies": len(STRATEGIES),
        "tools": len(TOOLS),
        "challenges": Challenge.objects.filter(enrollment__program=program).count(),
        "steps": Step.objects.filter(cycle__challenge__enrollment__program=program).count(),
        "activities": Activity.objects.filter(coach__in=program.coaches.all()).count(),
    }


def delete_demo() -> None:
    """Remove the demo district and its users; coaching records first, as they protect users and strategies."""
    users = User.objects.filter(Q(email__in=[email for _, _, email, _ in USERS]) | Q(membership__district__slug=SLUG))
    Activity.objects.filter(coach__in=users).delete()
    Enrollment.objects.filter(program__district__slug=SLUG).delete()
    District.objects.filter(slug=SLUG).delete()
    users.delete()


class Command(BaseCommand):
    help = "Load the Riverside demo district (slug “demo”), with coaching data dated around today."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo district's data, then load it.")

    def handle(self, *args, reset: bool = False, **options) -> None:
        if not reset and District.objects.filter(slug=SLUG).exists():
            self.stdout.write(f"The demo district (slug “{SLUG}”) already exists; run `{RESET}` to reload.")
            return self.print_logins()
        if not reset and User.objects.filter(email__in=[email for _, _, email, _ in USERS]).exists():
            raise CommandError(f"Demo accounts exist without the demo district; run `{RESET}`.")
        # Scheduling a step e-mails the coach an invitation: keep those in memory, off the console.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            timezone.override(TZ),
            transaction.atomic(),
            rollups.batched(),  # one refresh of the read model for the whole load, in its transaction
        ):
            if reset:
                delete_demo()
            counts = load()
        summary = ", ".join(f"{count} {what}" for what, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded Riverside Unified School District: {summary}."))
        self.print_logins()

    def print_logins(self) -> None:
        rows = [("Role", "Name", "E-mail", "Password")]
        rows += [(Role(role).label, name, email, PASSWORD) for role, name, email, _ in USERS]
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        rows.insert(1, tuple("-" * width for width in widths))
        self.stdout.write(f"\nDemo logins (every password is “{PASSWORD}”):")
        for row in rows:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(f"  {line}".rstrip())
