"""The markup the dashboards build in Python (not in template loops) is the markup their partials wrote."""

import datetime

import pytest
from django.template import Context, Template

from coaching.models import Enrollment, Teacher
from dashboard import tables
from dashboard.charts import BarChart, Series, _axis, _short
from dashboard.selectors import Cadence, CoverageRow, Figure, TimeMonth
from standards.models import Standard


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_it_writes_a_shown_figure_as_its_number():
    assert _render("{{ f.html }}", f=Figure(12345, 5)) == "12,345"
    assert _render("{{ f.html }}", f=Figure(7.5, 5)) == "7.5"


def test_it_writes_a_suppressed_figure_in_italics():
    assert _render("{{ f.html }}", f=Figure(None, 5)) == '<span class="fst-italic">fewer than 5</span>'
    assert str(Figure(None, 5)) == "fewer than 5"  # the CSV's cell: no markup


def test_it_writes_a_heat_map_row_as_a_cell_per_month_shaded_by_its_uses():
    row = CoverageRow(standard=Standard(code="1C"), cells=[(15, 2), (0, 0), (4, 1)], total=19)
    assert row.cells_html == '<td class="heat-2">15</td><td class="heat-0">0</td><td class="heat-1">4</td>'


TICKS = "".join(
    f'<line class="grid" x1="44" x2="640" y1="{y}" y2="{y}"/>'
    f'<text x="38" y="{y}" text-anchor="end" dominant-baseline="middle">{label}</text>'
    for y, label in [(200.0, "0"), (153.0, "1"), (106.0, "2"), (59.0, "3"), (12.0, "4")]
)
ONE_SERIES = f"""<figure class="mb-2">
<svg class="chart" viewBox="0 0 640 240" role="img" aria-labelledby="v-title v-desc" focusable="false">
  <title id="v-title">Visits &lt;by&gt; month</title>
  <desc id="v-desc">Bar chart of Visits &amp; more by 3 groups; the table below gives every number.</desc>
  {TICKS}
  <line class="axis" x1="44" x2="640" y1="200" y2="200"/>
  <rect class="chart-s0" x="63.6" y="12.0" width="155.8" height="188.0"><title>Dec 2026, Visits &amp; more: 4</title>\
</rect><rect class="chart-s0" x="455.6" y="106.0" width="155.8" height="94.0">\
<title>Feb 2027, Visits &amp; more: 2</title></rect>
  <text x="142.0" y="218" text-anchor="middle">Dec</text><text x="338.0" y="218" text-anchor="middle">Jan</text>\
<text x="534.0" y="218" text-anchor="middle">Feb</text>\
<text x="142.0" y="234" text-anchor="middle">2026</text><text x="338.0" y="234" text-anchor="middle">2027</text>
</svg>

</figure>
"""


def test_it_draws_a_chart_with_its_title_description_ticks_and_a_bar_per_shown_value():
    """A suppressed value draws no bar; text is escaped; one series needs no legend; months have their year
    under the first month and where the year changes, and in each bar's text."""
    chart = BarChart(
        key="v",
        title="Visits <by> month",
        labels=["Dec", "Jan", "Feb"],
        years=["2026", "2027", "2027"],
        series=[Series("Visits & more", [Figure(4, 5), Figure(None, 5), Figure(2, 5)])],
    )
    assert _render("{{ chart.html }}", chart=chart) == ONE_SERIES


def test_it_writes_words_under_the_axis_as_names_every_other_one_dropping_a_line_on_a_phone():
    """Words (ITU indicators) take the names' type, and every other one drops a line on a phone, so that long
    neighbours do not run into each other (static/css/cadence.css: text.name, text.alt)."""
    chart = BarChart(key="i", title="ITU", labels=["Collaboration", "Communication"], series=[Series("x", [3, 4])])
    assert (
        chart.html.count("<text class=") == 2
        and (
            '<text class="name" x="191.0" y="218" text-anchor="middle">Collaboration</text>'
            '<text class="name alt" x="485.0" y="218" text-anchor="middle">Communication</text>'
        )
        in chart.html
    )


def test_it_says_there_is_nothing_to_draw_rather_than_drawing_an_empty_grid():
    """A tester's find: a school's ITU chart with every figure suppressed drew an empty 0–1 grid."""
    chart = BarChart(key="i", title="ITU <proficiency>", labels=["Agency"], series=[Series("x", [Figure(None, 5)])])
    assert chart.html == (
        '<p class="chart-empty small text-body-secondary">ITU &lt;proficiency&gt;: nothing to draw yet; '
        "the table gives the figures.</p>"
    )


def test_it_draws_a_rating_scale_up_to_its_top_whatever_the_values():
    chart = BarChart(key="i", title="ITU", labels=["Agency"], series=[Series("x", [2.5])], top=5)
    assert [t.label for t in chart.ticks] == ["0", "1", "2", "3", "4", "5"] and chart.bars[0].height == 94.0


@pytest.mark.parametrize(
    "top, ticks",
    [
        (0.3, [0, 0.1, 0.2, 0.3]),
        (4.8, [0, 1, 2, 3, 4, 5]),
        (26, [0, 10, 20, 30]),  # not 0, 12.5, 25, 37.5, 50
        (50, [0, 10, 20, 30, 40, 50]),
        (101, [0, 25, 50, 75, 100, 125]),
        (86_370, [0, 20_000, 40_000, 60_000, 80_000, 100_000]),
    ],
)
def test_its_axis_steps_are_round_and_at_most_five(top, ticks):
    assert _axis(top) == ticks


def test_its_axis_numbers_fit_in_four_characters():
    assert [_short(v) for v in (2.5, 250, 2500, 10_000, 25_000, 250_000, 2_500_000)] == [
        "2.5", "250", "2500", "10k", "25k", "250k", "2.5M"
    ]  # fmt: skip


def test_it_gives_a_chart_of_several_series_a_legend():
    chart = BarChart(key="t", title="t", labels=["A"], series=[Series("x", [1]), Series("y", [2])])
    html = chart.html
    assert html.count("<rect ") == 2 and '<rect class="chart-s1" x="338.0" y="12.0"' in html
    assert html.endswith(
        '<ul class="legend" aria-hidden="true"><li><span class="swatch chart-s0"></span>x</li>'
        '<li><span class="swatch chart-s1"></span>y</li></ul>\n</figure>\n'
    )


# The coach dashboard's loops as its template wrote them.
CADENCE_LOOP = """{% for row in cadence %}<tr>
    <th scope="row" class="fw-normal"><a href="{% url 'coaching:teacher' row.enrollment.teacher_id %}">{{ row.enrollment.teacher.name }}</a></th>
    <td class="text-end">{{ row.plan_to_visit|default_if_none:"—" }}</td>
    <td class="text-end">{{ row.visit_to_debrief|default_if_none:"—" }}</td>
    <td class="text-end text-nowrap">{% if row.since_contact is None %}<span class="badge badge-warn">no contact yet</span>{% elif row.on_track %}{{ row.since_contact }} days{% else %}<span class="badge badge-warn">{{ row.since_contact }} days</span>{% endif %}</td>
  </tr>{% endfor %}"""  # noqa: E501 (the template's lines, as they were)
TIME_LOOP = (
    '{% for row in time %}<tr><th scope="row" class="fw-normal">{{ row.month|date:"M Y" }}</th>'
    '<td class="text-end">{{ row.one_to_one }}</td><td class="text-end">{{ row.school_wide }}</td>'
    '<td class="text-end">{{ row.learning }}</td><td class="text-end">{{ row.total }}</td></tr>{% endfor %}'
)
COVERAGE_LOOP = (
    '{% for row in coverage %}<tr><th scope="row" class="fw-normal text-nowrap"><abbr title="{{ row.standard.title }}">'
    "{{ row.standard.code }}</abbr></th>{{ row.cells_html }}<td>{{ row.total }}</td></tr>{% endfor %}"
)


def test_it_writes_the_coach_dashboards_rows_as_its_template_did():
    def cadence(pk, name, *days):
        return Cadence(Enrollment(teacher=Teacher(pk=pk, name=name)), *days)

    rows = [cadence(7, "Ana <&> Bo", None, None, None), cadence(10, "Cy", 1, 12, 3), cadence(0, "Di", 2, None, 40)]
    assert tables.cadence_rows(rows) == _render(CADENCE_LOOP, cadence=rows)
    months = [TimeMonth(datetime.date(2026, m, 1), 1234.5, 0.0, 2.5) for m in (1, 12)]
    assert tables.time_rows(months) == _render(TIME_LOOP, time=months)
    coverage = [CoverageRow(Standard(code="1C", title='Leads "PD" & <more>'), [(15, 2), (0, 0)], 15)]
    assert tables.coverage_rows(coverage) == _render(COVERAGE_LOOP, coverage=coverage)


STATUS_LOOP = (
    '{% for label, n in statuses %}<tr><th scope="row" class="fw-normal">{{ label }}</th>'
    '<td class="text-end">{{ n }}</td></tr>{% endfor %}'
)
MONTHS_LOOP = '{% for m in months %}<th scope="col">{{ m }}</th>{% endfor %}'
NEVER = (
    "{% if never %}Not exercised in this period: {% for s in never %}<strong>{{ s.code }}</strong>"
    "{% if not forloop.last %}, {% endif %}{% endfor %}."
    "{% else %}Every standard was exercised in this period.{% endif %}"
)


def test_it_writes_the_coach_dashboards_statuses_months_and_unexercised_standards_as_its_template_did():
    statuses = [("1 · Identify", 3), ("<b> & co", 0)]
    assert tables.status_rows(statuses) == _render(STATUS_LOOP, statuses=statuses)
    months = ["Sep 26", "Oct <26>"]
    assert tables.month_headers(months) == _render(MONTHS_LOOP, months=months)
    for never in ([], [Standard(code="1A")], [Standard(code="1A"), Standard(code="<2B>"), Standard(code="4C")]):
        assert tables.never_exercised(never) == _render(NEVER, never=never)
