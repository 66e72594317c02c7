"""A synthetic district of a given size, by bulk inserts, for benchmarks (`make bench`).

    python manage.py generate_district --schools 100 --teachers 10000 --steps 1000000 [--slug synthetic]

The shape follows DESIGN.md: schools of uneven size (the biggest about five times the smallest), a
coach per ~10 teachers of one school, a principal per school, one program over the past school year;
each teacher's steps come as meet → visit → meet cycles (plan, visit 2–5 days later, debrief 2–6 days
after that) spread over the year, three cycles to a challenge, each challenge closed by a reflection
(resolved or moved on) except the last, which is implementing a strategy in a cycle just begun.
Steps and activities carry their default standards tags; every teacher has an ITU baseline and most an
end rating; each coach logs principal meetings, PLCs, PD and PLN contributions every month. The
rollups are rebuilt at the end. Every user's password is "password".
"""

import datetime
import math
import random
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import District, Membership, Role, School, User
from coaching.models import (
    Activity,
    Challenge,
    Cycle,
    Enrollment,
    ITUIndicator,
    ITURating,
    ITUScore,
    Program,
    Reflection,
    Step,
    Strategy,
    Teacher,
    Tool,
)
from dashboard import services
from standards.catalog import DEFAULT_TAGS, load_catalog
from standards.models import Standard

BATCH = 5000
CHUNK = 500  # enrollments whose records are built and inserted together
CYCLES_PER_CHALLENGE = 3
ACTIVITIES = ("principal_meeting", "plc", "pd", "pln")


class Command(BaseCommand):
    help = "Build a synthetic district of a given size by bulk inserts (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=100)
        parser.add_argument("--teachers", type=int, default=10_000)
        parser.add_argument("--steps", type=int, default=1_000_000)
        parser.add_argument("--slug", default="synthetic")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-rollups", action="store_true", help="Leave the rollups to a later rebuild.")

    def handle(self, *args, schools: int, teachers: int, steps: int, slug: str, seed: int, **options):
        if schools < 1 or teachers < schools or steps < 0:
            raise CommandError("Give at least one school, at least one teacher per school, and steps ≥ 0.")
        if District.objects.filter(slug=slug).exists():
            raise CommandError(f"A district {slug!r} exists already: choose another --slug.")
        started = time.perf_counter()
        self.random = random.Random(seed)
        self.today = timezone.localdate()
        if not Standard.objects.exists():  # a flushed database: the catalog's data migration ran before
            load_catalog()
        self.standards = {s.code: s.pk for s in Standard.objects.all()}
        with transaction.atomic():
            self.people(slug, schools, teachers)
            self.coaching(steps)
            self.activities()
        self.stdout.write(f"{slug}: {Step.objects.filter(**{self.step_path: self.program}).count():,} steps loaded")
        if not options["no_rollups"]:
            counts = services.rollup_rebuild()
            self.stdout.write("rollups: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        self.stdout.write(f"done in {time.perf_counter() - started:.0f} s")

    step_path = "cycle__challenge__enrollment__program"

    # --- people -----------------------------------------------------------------------------------

    def people(self, slug: str, n_schools: int, n_teachers: int) -> None:
        self.district = District.objects.create(name=f"Synthetic {slug}", slug=slug)
        self.schools = School.objects.bulk_create(
            [School(district=self.district, name=f"School {i + 1:03}") for i in range(n_schools)]
        )
        weights = [1 / (1 + i / (n_schools / 4 or 1)) for i in range(n_schools)]  # biggest ≈ 5 × smallest
        total = sum(weights)
        sizes = [max(1, int(n_teachers * w / total)) for w in weights]
        sizes[0] += n_teachers - sum(sizes)
        password = make_password("password")

        def users(prefix: str, n: int) -> list[User]:
            made = [
                User(email=f"{prefix}{i}@{slug}.test", full_name=f"{prefix.title()} {i}", password=password)
                for i in range(n)
            ]
            return User.objects.bulk_create(made, batch_size=BATCH)

        admin = users("admin", 1)[0]
        principals = users("principal", n_schools)
        coach_schools = [
            school for school, size in zip(self.schools, sizes, strict=True) for _ in range(math.ceil(size / 10))
        ]
        coaches = users("coach", len(coach_schools))
        memberships = Membership.objects.bulk_create(
            [Membership(user=admin, district=self.district, role=Role.DISTRICT_ADMIN)]
            + [Membership(user=u, district=self.district, role=Role.PRINCIPAL) for u in principals]
            + [Membership(user=u, district=self.district, role=Role.COACH) for u in coaches],
            batch_size=BATCH,
        )
        Membership.schools.through.objects.bulk_create(
            [
                Membership.schools.through(membership_id=m.pk, school_id=s.pk)
                for m, s in zip(memberships[1 : 1 + n_schools], self.schools, strict=True)
            ]
            + [
                Membership.schools.through(membership_id=m.pk, school_id=s.pk)
                for m, s in zip(memberships[1 + n_schools :], coach_schools, strict=True)
            ],
            batch_size=BATCH,
        )
        self.program = Program.objects.create(
            district=self.district,
            name="Synthetic coaching program",
            starts_on=self.today - datetime.timedelta(days=330),
            ends_on=self.today + datetime.timedelta(days=35),
        )
        self.program.schools.set(self.schools)
        self.program.coaches.set(coaches)
        self.strategy = Strategy.objects.create(
            district=self.district, title="Think-pair-share", category="instructional", itu_indicator="collaboration"
        )
        Tool.objects.create(district=self.district, name="Shared documents")
        teacher_rows, coach_of = [], []
        by_school = {}
        for coach, school in zip(coaches, coach_schools, strict=True):
            by_school.setdefault(school.pk, []).append(coach)
        for school, size in zip(self.schools, sizes, strict=True):
            for i in range(size):
                teacher_rows.append(Teacher(school=school, name=f"Teacher {school.name[-3:]}-{i}", subject="Science"))
                coach_of.append(by_school[school.pk][i // 10])
        created = Teacher.objects.bulk_create(teacher_rows, batch_size=BATCH)
        start = self.program.starts_on
        self.enrollments = Enrollment.objects.bulk_create(
            [
                Enrollment(program=self.program, coach=c, teacher=t, starts_on=start)
                for t, c in zip(created, coach_of, strict=True)
            ],
            batch_size=BATCH,
        )
        self.coaches = coaches
        self.stdout.write(f"{n_schools} schools, {len(created):,} teachers, {len(coaches):,} coaches")

    # --- the coaching records -----------------------------------------------------------------------

    def coaching(self, n_steps: int) -> None:
        n = len(self.enrollments)
        # Each enrollment gets its share of the steps, whole cycles of three (the remainder spread).
        per = [n_steps // n] * n
        for i in range(n_steps - sum(per)):
            per[i] += 1
        year = (self.today - self.program.starts_on).days - 10
        for offset in range(0, n, CHUNK):
            self.chunk(self.enrollments[offset : offset + CHUNK], per[offset : offset + CHUNK], year)

    def chunk(self, enrollments: list[Enrollment], per: list[int], year: int) -> None:
        rnd, start = self.random, self.program.starts_on
        challenges, plans = [], []  # plans: (challenge index, [cycle day offsets], steps in the last cycle)
        contact = {}
        for enrollment, steps in zip(enrollments, per, strict=True):
            n_cycles = math.ceil(steps / 3)
            n_challenges = max(1, math.ceil(n_cycles / CYCLES_PER_CHALLENGE))
            spacing = year / max(n_cycles, 1)
            days = [int(5 + c * spacing + rnd.uniform(0, spacing / 3)) for c in range(n_cycles)]
            remaining = steps
            for ch in range(n_challenges):
                mine = days[ch * CYCLES_PER_CHALLENGE : (ch + 1) * CYCLES_PER_CHALLENGE]
                last = ch == n_challenges - 1
                opened = start + datetime.timedelta(days=(mine[0] - 3) if mine else 3)
                closed_on = start + datetime.timedelta(days=mine[-1] + 12) if mine and not last else None
                outcome = ("resolved" if rnd.random() < 0.7 else "moved_on") if closed_on else ""
                challenges.append(
                    Challenge(
                        enrollment=enrollment, problems=["Synthetic"], title="Synthetic challenge",
                        category=rnd.choice(["instructional", "instructional", "professional_growth"]),
                        status="closed" if closed_on else "implement", strategy=self.strategy, outcome=outcome,
                        opened_on=opened, closed_on=closed_on,
                    )
                )  # fmt: skip
                counts = []
                for _ in mine:
                    counts.append(min(3, remaining))
                    remaining -= counts[-1]
                plans.append((mine, counts, last))
            if days:
                contact[enrollment.pk] = min(self.today, start + datetime.timedelta(days=days[-1] + 9))
        challenges = Challenge.objects.bulk_create(challenges, batch_size=BATCH)
        cycles, step_specs, reflections = [], [], []
        for challenge, (mine, counts, last) in zip(challenges, plans, strict=True):
            for number, (day, count) in enumerate(zip(mine, counts, strict=True), start=1):
                gaps = [0, rnd.randint(2, 5), rnd.randint(2, 6)]
                complete = count == 3
                debrief_day = day + gaps[1] + gaps[2]
                done_on = start + datetime.timedelta(days=debrief_day) if complete else None
                cycles.append(Cycle(challenge=challenge, number=number, strategy=self.strategy, completed_on=done_on))
                step_specs.append((day, gaps, count))
            if last:  # a cycle just begun: the coach logs its plan meeting next
                cycles.append(Cycle(challenge=challenge, number=len(mine) + 1, strategy=self.strategy))
                step_specs.append((0, [0, 0, 0], 0))
            if challenge.closed_on:
                decision = "resolved" if challenge.outcome == "resolved" else "move_on"
                reflections.append(
                    Reflection(challenge=challenge, held_on=challenge.closed_on, minutes=30, decision=decision)
                )
        cycles = Cycle.objects.bulk_create(cycles, batch_size=BATCH)
        steps = []
        for cycle, (day, gaps, count) in zip(cycles, step_specs, strict=True):
            at = day
            for kind, gap in zip(Step.ORDER[:count], gaps, strict=False):
                at += gap
                when = datetime.datetime.combine(start + datetime.timedelta(days=at), datetime.time(9 + at % 6))
                steps.append(
                    Step(
                        cycle=cycle, kind=kind, starts_at=timezone.make_aware(when), done=True,
                        minutes=rnd.choice([20, 30, 30, 45, 60]), visit_mode="observe" if kind == "visit" else "",
                        notes="Synthetic notes",
                    )
                )  # fmt: skip
        steps = Step.objects.bulk_create(steps, batch_size=BATCH)
        self.tag(Step.standards.through, "step_id", [(s.pk, s.kind) for s in steps])
        reflections = Reflection.objects.bulk_create(reflections, batch_size=BATCH)
        self.tag(Reflection.standards.through, "reflection_id", [(r.pk, "reflect") for r in reflections])
        for enrollment in enrollments:
            if enrollment.pk in contact:
                enrollment.last_contact_on = contact[enrollment.pk]
        Enrollment.objects.bulk_update(enrollments, ["last_contact_on"], batch_size=BATCH)
        self.itu(enrollments)

    def tag(self, through, column: str, rows: list[tuple[int, str]]) -> None:
        through.objects.bulk_create(
            [
                through(**{column: pk, "standard_id": self.standards[code]})
                for pk, kind in rows
                for code in DEFAULT_TAGS[kind]
            ],
            batch_size=BATCH,
        )

    def itu(self, enrollments: list[Enrollment]) -> None:
        rnd = self.random
        ratings, scores = [], []
        for enrollment in enrollments:
            ratings.append(ITURating(enrollment=enrollment, phase="baseline", rated_on=self.program.starts_on))
            if rnd.random() < 0.6:
                ratings.append(ITURating(enrollment=enrollment, phase="end", rated_on=self.today))
        ratings = ITURating.objects.bulk_create(ratings, batch_size=BATCH)
        base = {}
        for rating in ratings:
            for indicator in ITUIndicator.values:
                if rating.phase == "baseline":
                    f, p = rnd.randint(1, 3), rnd.randint(1, 3)
                    base[(rating.enrollment_id, indicator)] = (f, p)
                else:
                    bf, bp = base[(rating.enrollment_id, indicator)]
                    f, p = min(5, bf + rnd.choice([0, 1, 1, 2])), min(5, bp + rnd.choice([-1, 0, 1, 1, 2]))
                    f, p = max(1, f), max(1, p)
                scores.append(ITUScore(rating=rating, indicator=indicator, frequency=f, proficiency=p))
        ITUScore.objects.bulk_create(scores, batch_size=BATCH)

    def activities(self) -> None:
        rnd, rows = self.random, []
        school_of = dict(
            Membership.schools.through.objects.filter(membership__user__in=self.coaches).values_list(
                "membership__user_id", "school_id"
            )
        )
        months = 11
        for coach in self.coaches:
            for m in range(months):
                for kind in ACTIVITIES:
                    day = self.program.starts_on + datetime.timedelta(days=30 * m + rnd.randint(0, 27))
                    if day > self.today:
                        continue
                    rows.append(
                        Activity(
                            coach=coach, kind=kind, school_id=school_of.get(coach.pk), held_on=day,
                            minutes=rnd.choice([30, 45, 60, 90]),
                        )
                    )  # fmt: skip
        activities = Activity.objects.bulk_create(rows, batch_size=BATCH)
        self.tag(Activity.standards.through, "activity_id", [(a.pk, a.kind) for a in activities])
