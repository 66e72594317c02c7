"""The dashboards' CSV: the sections each one exports, from the selectors its page reads, and when the
district dashboard's CSV is too large to build in the request.

A section is (title, header, rows); services.dashboard_csv writes them, every figure as the page shows it
(selectors.suppress decides "fewer than k").

Large: the district dashboard's CSV holds a row per school shown and a row per coach of the programs
shown, each computed from the rollups. When the district has more than LARGE_CSV_ROWS schools and coaches
together (at least the CSV's rows, counted without reading the filters' programs) it is built by a Celery
task (services.export_build, the job of a DataExport) that the admin follows on a progress page; up to
that, in the request. The period does not count: the rollups are monthly, so a longer period adds a
trend row per month, not work per school or coach. The school and coach dashboards have one school row
and no coach rows: their CSV is always built in the request.
"""

import datetime
from collections.abc import Callable

from django.core.exceptions import ValidationError

from accounts import scoping
from accounts.models import Membership, School
from coaching.models import Program
from dashboard import selectors

Section = tuple[str, list[str], list[list[object]]]
LARGE_CSV_ROWS = 100
CHUNK = 100  # schools, or coaches, computed per batch of queries (and per step of a job's progress)

SCHOOL_HEADER = ["School", "Teachers on a caseload", "Active, 30 days", "Contacted, 14 days", "1:1 minutes"]
SCHOOL_HEADER += ["Planning meetings", "Classroom visits", "Debriefs", "Cycles completed", "Challenges resolved"]
SCHOOL_HEADER += ["School-wide minutes"]
COACH_HEADER = ["Coach", "Caseload", "Contacted, 14 days", "Cycles", "Hours", "Standards exercised"]


def is_large(schools: int, coaches: int) -> bool:
    """Whether the district dashboard's CSV is built by a task, for a district of `schools` schools and `coaches`
    coaches (`selectors.district_size`: the CSV lists those of the programs shown, at most as many)."""
    return schools + coaches > LARGE_CSV_ROWS


def school_rows(rows: list[selectors.SchoolFigures]) -> list[list]:
    return [
        [r.school.name, r.enrolled, r.active, r.contacted, r.coaching_minutes, *(f for _, f in r.steps), r.cycles,
         r.resolved, r.school_wide_minutes]
        for r in rows
    ]  # fmt: skip


def report_section(
    period: selectors.Period, programs: list[Program], *, school: str | None = None, dates_ignored: bool = False
) -> Section:
    """What the CSV covers, as the page's "Covering" line says: its months and programs (and, on a leader's
    dashboard, its school or "All schools"), so that a file passed on still says what it counts; and, when the
    dates asked for were refused, a "Note" that says so (`dates_ignored_note`)."""
    header, row = ["Covering", "Programs"], [period.label, "; ".join(program.name for program in programs)]
    if school is not None:
        header.append("School")
        row.append(school)
    if dates_ignored:
        header.append("Note")
        row.append(dates_ignored_note(programs))
    return ("Report", header, [row])


def dates_ignored_note(programs: list[Program]) -> str:
    """What a dashboard covers instead of dates it refused (the period `views._filters` falls back to)."""
    instead = "the school year of the programs so far" if programs else "the last 12 months"
    return f"The dates chosen were ignored, as they do not make a valid period: this covers {instead}."


def school_section(figures: selectors.SchoolFigures, *, rostered: int, engaged: selectors.Figure) -> Section:
    """The school dashboard's school row: the district's columns, and what its page shows beside them (the school-wide
    activities, the teachers rostered, and the per cent of them on a caseload, suppressed with that count)."""
    header = [*SCHOOL_HEADER, "School-wide activities", "Teachers rostered", "Per cent of rostered on a caseload"]
    return ("School", header, [[*school_rows([figures])[0], figures.school_wide_count, rostered, engaged]])


def trend_section(trend) -> Section:
    header = ["Month", "Teachers coached", "Steps done", "Hours of 1:1 coaching", "Cycles completed"]
    return ("Month by month", header, [[f"{r.month:%Y-%m}", r.teachers, r.steps, r.hours, r.cycles] for r in trend])


def itu_section(itu) -> Section:
    header = ["Indicator", "Teachers rated twice", "Frequency baseline", "Frequency latest"]
    header += ["Proficiency baseline", "Proficiency latest"]
    return ("ITU change", header, [[r.label, r.teachers, *r.frequency, *r.proficiency] for r in itu])


def district_sections(
    membership: Membership,
    *,
    programs: list[Program],
    period: selectors.Period,
    school: School | None,
    dates_ignored: bool = False,
    on_progress: Callable[[int, int], object] | None = None,
) -> list[Section]:
    """The district dashboard's CSV as the admin `membership` may see it: the headline, every school shown
    (the schools of `programs`, only `school` when given), every coach of `programs` (with a teacher at `school`),
    ITU change and the trend, over `programs` and `period`. The request and the job (services.export_build) both
    build it here, so they agree to the byte.

    `on_progress(done, total)` is called after each CHUNK of schools or coaches (`total` of them in all).
    """
    district = membership.district
    k = district.suppression_k
    schools = scoping.schools(membership)
    shown = list(schools.filter(pk=school.pk) if school else selectors.program_schools(schools, programs))
    coaches = list(selectors.district_coaches(district, programs=programs, school=school))
    total = len(shown) + len(coaches)

    def chunked(items: list, compute: Callable[[list], list], done: int) -> list:
        rows = []
        for start in range(0, len(items), CHUNK):
            rows += compute(items[start : start + CHUNK])
            if on_progress:
                on_progress(done + min(start + CHUNK, len(items)), total)
        return rows

    levels = selectors.Levels(programs)
    figures = chunked(
        shown,
        lambda part: selectors.school_figures(district, part, programs=programs, period=period, levels=levels),
        0,
    )
    per_coach = chunked(
        coaches,
        lambda part: selectors.coach_rows(district, part, programs=programs, period=period, school=school),
        len(shown),
    )
    group = selectors.population(programs=programs, school=school)  # the district's (or school's) teachers
    change, headline = selectors.itu_figures(levels.itu_rows(school), k=k, group=group)
    trend = selectors.trend(levels.month_rows(school), period, k=k, group=group)
    school_itu = [row.headline for row in selectors.itu_by_school(district, figures, levels)]  # as on the page
    return [
        report_section(period, programs, school=school.name if school else "All schools", dates_ignored=dates_ignored),
        ("Headline", ["Teachers rated twice", "ITU rose", "Per cent"],
         [[headline.rated, headline.rose, headline.percent]]),
        ("Schools", [*SCHOOL_HEADER, "Teachers rated twice", "ITU rose"],
         [[*row, itu.rated, itu.rose] for row, itu in zip(school_rows(figures), school_itu, strict=True)]),
        ("Coaches", COACH_HEADER,
         [[str(r.coach), r.caseload, r.contacted, r.cycles, r.hours, r.standards] for r in per_coach]),
        itu_section(change),
        trend_section(trend),
    ]  # fmt: skip


# --- the filters a job keeps ---------------------------------------------------------------------------


def filters_json(
    *, programs: list[Program], period: selectors.Period, school: School | None, dates_ignored: bool = False
) -> dict:
    """The dashboard's filters as the request resolved them (the period's dates included: the job may run
    after midnight), to keep on the DataExport: {"programs": [ids], "start", "end": ISO dates, "school": id,
    "dates_ignored": whether the dates asked for were refused}."""
    return {
        "programs": [program.pk for program in programs],
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "school": school.pk if school else None,
        "dates_ignored": dates_ignored,
    }


def covering(membership: Membership, exports: list) -> dict[int, str]:
    """What each dashboard CSV of `exports` covers, as the dashboard's "Covering" line says it: {export id:
    "October 2026 to November 2026; 2026–27 program; Lincoln Middle School"} ("All schools" when none was
    chosen); an export of another kind has none. Two queries for any number of exports."""
    csvs = [export for export in exports if export.filters.get("start")]
    ids = {kind: {i for e in csvs for i in ([e.filters[kind]] if kind == "school" else e.filters[kind]) if i}
           for kind in ("programs", "school")}  # fmt: skip
    programs = dict(
        scoping.district_rows(membership.district, Program).filter(pk__in=ids["programs"]).values_list("pk", "name")
    )
    schools = (
        dict(scoping.schools(membership).filter(pk__in=ids["school"]).values_list("pk", "name"))
        if ids["school"]
        else {}
    )
    result = {}
    for export in csvs:
        f = export.filters
        period = selectors.Period(datetime.date.fromisoformat(f["start"]), datetime.date.fromisoformat(f["end"]))
        names = "; ".join(programs.get(pk, "a deleted program") for pk in f["programs"])
        school = schools.get(f["school"], "a deleted school") if f["school"] else "All schools"
        result[export.pk] = f"{period.label}; {names}; {school}"
    return result


def filters_from_json(membership: Membership, filters: dict) -> dict:
    """`filters_json`'s value back as district_sections' keyword arguments, read within what `membership`
    may see. ValidationError when the school it names is gone."""
    wanted = filters["programs"]
    programs = scoping.district_rows(membership.district, Program).filter(pk__in=wanted)
    school = scoping.schools(membership).filter(pk=filters["school"]).first() if filters["school"] else None
    if filters["school"] and school is None:
        raise ValidationError("The school this CSV was asked for no longer exists.")
    return {
        "programs": sorted(programs, key=lambda program: wanted.index(program.pk)),
        "period": selectors.Period(
            datetime.date.fromisoformat(filters["start"]), datetime.date.fromisoformat(filters["end"])
        ),
        "school": school,
        "dates_ignored": filters.get("dates_ignored", False),  # absent from the filters kept before it was
    }
