"""The district dashboard's school and coach tables, their rows written in Python (as charts.py writes a chart):
the markup the template's loops wrote, without a template lookup per cell (25 rows of 8 figures each)."""

from collections.abc import Iterable

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dashboard.selectors import CoachRow, SchoolFigures, SchoolHeadline

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
