"""The caseloads page's long tables, their rows written in Python (as dashboard/charts.py writes a chart and
config.forms.Select a select's options): the markup the template's loops wrote, without a template lookup
per cell, which cost a page of 25 coaches and 50 teachers ~10 ms."""

from collections.abc import Iterable

from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from coaching.models import Program, Teacher
from config.forms import escaped

# Each row as the template's loop body wrote it, whitespace included (the page stays byte for byte the same).
COACH_ROW = """
      <tr>
        <th scope="row"><a href="{}" aria-label="{}'s caseload">{}</a></th>
        <td data-testid="caseload-{}">{}</td>
        <td><span class="badge fs-6 text-bg-{}">{} teacher{}</span>
          {}</td>
      </tr>
    """
ABOVE = '<span class="small"> above {}</span>'
TEACHER_ROW = """
        <tr>
          <td><input class="form-check-input" type="checkbox" name="teachers" value="{0}" id="teacher-{0}"{1}{2}></td>
          <th scope="row"><label for="teacher-{0}">{3}</label>
            <div class="small fw-normal d-md-none">{4}{5}</div></th>
          <td class="d-none d-md-table-cell">{4}</td>
          <td class="d-none d-md-table-cell">{6}</td>
          <td class="d-none d-lg-table-cell">{7}</td>
          <td>{8}</td>
        </tr>
      """
NONE = "—"
GRADE_BANDS = dict(Teacher._meta.get_field("grade_band").flatchoices)  # get_grade_band_display() rebuilds it per call


def _rows(template: str, rows: Iterable[tuple]) -> SafeString:
    """format_html_join("", template, rows), without format_html's cost per row (~20 µs)."""
    return mark_safe("".join(template.format(*map(escaped, row)) for row in rows))  # noqa: S308 (each value escaped)


def coach_rows(
    program: Program, coaches: Iterable[User], sizes: dict[int, tuple[int, int]], *, warning: int
) -> SafeString:
    """A row per coach: a link to their caseload in `program`, its size, and all their teachers (`sizes`, from
    `districts.selectors.caseload_sizes`), flagged above `warning`."""
    # The coach's id ends the URL: one reverse() for the page (one per row cost 25 coaches 0.7 ms).
    base = reverse("district:coach_caseload", args=[program.pk, 0]).removesuffix("0/")

    def row(coach: User) -> tuple:
        in_program, total = sizes.get(coach.pk, (0, 0))
        badge, above = ("warning", format_html(ABOVE, warning)) if total > warning else ("secondary", "")
        return f"{base}{coach.pk}/", coach, coach, coach.pk, in_program, badge, total, pluralize(total), above

    return _rows(COACH_ROW, (row(coach) for coach in coaches))


def teacher_rows(teachers: Iterable[tuple], *, selected: set[str], disabled: bool) -> SafeString:
    """A row per teacher (a named tuple of `districts.selectors.teacher_page`) with its tick box, ticked
    when its id is in `selected`, and who coaches them."""

    def row(t: tuple) -> tuple:
        return (
            t.pk, " checked" if str(t.pk) in selected else "", " disabled" if disabled else "", t.name,
            t.school_name, f" · {t.subject}" if t.subject else "", t.subject or NONE,
            GRADE_BANDS.get(t.grade_band, t.grade_band) or NONE, t.coach_name or "Not on a caseload",
        )  # fmt: skip

    return _rows(TEACHER_ROW, (row(t) for t in teachers))
