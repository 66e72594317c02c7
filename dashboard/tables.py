"""The district dashboard's school and coach tables and the coach dashboard's cadence, time and coverage tables,
their rows written in Python (as charts.py writes a chart): the markup the template's loops wrote, without a
template lookup per cell (25 rows of 8 figures each; 12 months, 18 standards)."""

from collections.abc import Iterable

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from dashboard.selectors import Cadence, CoachRow, CoverageRow, SchoolFigures, SchoolHeadline, TimeMonth
from standards.models import Standard

# Each row as the template's loop body wrote it, whitespace included (the page stays byte for byte the same).
SCHOOL_ROW = """
    <tr>
      <th scope="row"><a href="{}">{}</a></th>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{} of {}</td>
    </tr>
  """
COACH_ROW = """
    <tr>
      <th scope="row">{}</th>
      <td class="text-end text-nowrap">{}{}</td>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{}</td>
      <td class="text-end text-nowrap">{}</td>
    </tr>
  """
OVER = ' <span class="badge badge-warn">over {}</span>'


def school_rows(rows: Iterable[tuple[SchoolFigures, SchoolHeadline]]) -> SafeString:
    """A row per school: its figures and its ITU headline (`selectors.school_figures`, `itu_by_school`)."""

    def row(figures: SchoolFigures, itu: SchoolHeadline) -> tuple:
        return (
            reverse("dashboard:school", args=[figures.school.pk]), figures.school.name, figures.enrolled.html,
            figures.active.html, figures.contacted.html, figures.coaching_minutes.html, figures.cycles.html,
            figures.school_wide_minutes, itu.headline.rose.html, itu.headline.rated.html,
        )  # fmt: skip

    return format_html_join("", SCHOOL_ROW, (row(*pair) for pair in rows))


def coach_rows(rows: Iterable[CoachRow], *, warning: int) -> SafeString:
    """A row per coach (`selectors.coach_rows`), a caseload over `warning` flagged (when it is shown)."""

    def row(r: CoachRow) -> tuple:
        over = format_html(OVER, warning) if r.over and not r.caseload.suppressed else ""
        return r.coach, r.caseload.html, over, r.contacted.html, r.cycles.html, r.hours.html, r.standards.html

    return format_html_join("", COACH_ROW, (row(r) for r in rows))


# --- the coach's own dashboard -----------------------------------------------------------------------------

CADENCE_ROW = """<tr>
    <th scope="row" class="fw-normal"><a href="{}">{}</a></th>
    <td class="text-end">{}</td>
    <td class="text-end">{}</td>
    <td class="text-end text-nowrap">{}</td>
  </tr>"""
LATE = '<span class="badge badge-warn">{}</span>'
TIME_ROW = (
    '<tr><th scope="row" class="fw-normal">{}</th><td class="text-end">{}</td><td class="text-end">{}</td>'
    '<td class="text-end">{}</td><td class="text-end">{}</td></tr>'
)
COVERAGE_ROW = '<tr><th scope="row" class="fw-normal text-nowrap"><abbr title="{}">{}</abbr></th>{}<td>{}</td></tr>'
STATUS_ROW = '<tr><th scope="row" class="fw-normal">{}</th><td class="text-end">{}</td></tr>'


def cadence_rows(rows: Iterable[Cadence]) -> SafeString:
    """A row per teacher on the caseload (`selectors.cadence_health`): days between the latest cycle's steps and
    since the last contact, flagged when there was none or it is older than the aim."""

    def since(r: Cadence) -> SafeString | str:
        if r.since_contact is None:
            return format_html(LATE, "no contact yet")
        days = f"{r.since_contact} days"
        return days if r.on_track else format_html(LATE, days)

    # The teacher page's URL reversed once, the id put in place of teacher 0's (the path's last part): a reverse()
    # per row costs more than the row's markup.
    head, tail = reverse("coaching:teacher", args=[0]).rsplit("/0/", 1)

    def row(r: Cadence) -> tuple:
        link = f"{head}/{r.enrollment.teacher_id}/{tail}"
        gaps = ["—" if gap is None else gap for gap in (r.plan_to_visit, r.visit_to_debrief)]
        return link, r.enrollment.teacher.name, *gaps, since(r)

    return format_html_join("", CADENCE_ROW, (row(r) for r in rows))


def time_rows(rows: Iterable[TimeMonth]) -> SafeString:
    """A row per month (`selectors.coach_time`): hours of 1:1, school-wide and learning work, and their total."""
    return format_html_join(
        "", TIME_ROW, ((f"{r.month:%b %Y}", r.one_to_one, r.school_wide, r.learning, r.total) for r in rows)
    )


def coverage_rows(rows: Iterable[CoverageRow]) -> SafeString:
    """A row per standard (`selectors.standards_coverage`): its uses month by month, shaded, and their total."""
    return format_html_join(
        "", COVERAGE_ROW, ((r.standard.title, r.standard.code, r.cells_html, r.total) for r in rows)
    )


SELF_ASSESSMENT_ROW = '<tr><td class="text-nowrap"><a href="{}">{}</a></td><td>{}</td></tr>'


def self_assessment_rows(assessments: Iterable) -> SafeString:
    """My growth's list: a row per self-assessment (`selectors.numbered`), its date linked to its page ("27 Nov
    2026 (2)") and who sees it."""

    def row(a) -> tuple:
        who = "Shared with your district admin" if a.shared_with_district else "Only you"
        day = a.assessed_on
        return reverse("dashboard:self_assessment", args=[a.pk]), f"{day.day} {day:%b %Y}{a.same_day}", who

    return format_html_join("", SELF_ASSESSMENT_ROW, (row(a) for a in assessments))


def status_rows(rows: Iterable[tuple[str, int]]) -> SafeString:
    """A row per step of the model (`selectors.coach_challenges_by_status`): the coach's challenges at it."""
    return format_html_join("", STATUS_ROW, rows)


def month_headers(labels: Iterable[str]) -> SafeString:
    """The coverage table's column heads, a month each."""
    return format_html_join("", '<th scope="col">{}</th>', ((label,) for label in labels))


def never_exercised(standards: Iterable[Standard]) -> SafeString:
    """The sentence under the coverage heading: the standards with no tagged use in the period, or that there is
    none."""
    if not (codes := [(standard.code,) for standard in standards]):
        return mark_safe("Every standard was exercised in this period.")
    return format_html("Not exercised in this period: {}.", format_html_join(", ", "<strong>{}</strong>", codes))
