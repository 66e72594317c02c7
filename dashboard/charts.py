"""Server-drawn SVG charts: geometry computed and markup written here (`BarChart.html`), once per chart.

Each chart is an image with a title (`role="img"`, `aria-labelledby`) and is always shown beside a data
table with the same numbers, so nothing is only in the picture. Colours and sizes come from CSS classes
(static/css/cadence.css): no inline style, as the content security policy requires. A value that is
None (a suppressed figure) draws no bar; the table says "fewer than k".
"""

import html
import math
from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 40
CODE_LENGTH = 3  # a label this short ("1A") is a code, written at the axis's size, not a word

# The chart as a page shows it: written in Python, not in template loops (a chart has up to ~100 bars).
FIGURE = """<figure class="mb-2">
<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{key}-title {key}-desc" focusable="false">
  <title id="{key}-title">{title}</title>
  <desc id="{key}-desc">{description}</desc>
  {ticks}
  <line class="axis" x1="44" x2="{width}" y1="{baseline}" y2="{baseline}"/>
  {bars}
  {xlabels}{ylabels}
</svg>
{legend}
</figure>
"""
TICK = (
    '<line class="grid" x1="44" x2="{0}" y1="{1}" y2="{1}"/>'
    '<text x="38" y="{1}" text-anchor="end" dominant-baseline="middle">{2}</text>'
)
BAR = '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
XLABEL = '<text x="{}" y="{}" text-anchor="middle">{}</text>'
# A label that is a word, not a month; every other one ("name alt") drops a line on a phone, so that long
# neighbours ("Collaboration", "Communication") do not run into each other.
NAME = '<text class="{}" x="{}" y="{}" text-anchor="middle">{}</text>'
EMPTY = (
    '<p class="chart-empty small text-body-secondary">{title}: nothing to draw yet; the table gives the figures.</p>'
)
LEGEND = '<ul class="legend" aria-hidden="true">{}</ul>'
LEGEND_ITEM = '<li><span class="swatch chart-s{}"></span>{}</li>'


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    text: str  # what the bar shows, read by screen readers through the chart's table


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True)
class Series:
    name: str
    values: list  # numbers, or objects with `.value` (dashboard.selectors.Figure); None draws nothing


@dataclass
class BarChart:
    """Grouped bars: one group per label, one bar per series.

    `years` (months on the axis): each group's year, written under the first group's label and wherever the
    year changes ("Aug" over "2026" … "Jan" over "2027"), and in each bar's text ("Aug 2026, Visits: 4").
    `max_labels`: at most this many labels under the axis (beyond, every other one, every third…): twelve months
    fit a phone; the 18 standards' codes ("1A") are short enough to write all. Labels that are words ("Collaboration")
    are written in the smaller type of names; codes and months in the axis's.
    """

    key: str  # unique on the page: the ids of the title and description
    title: str
    labels: list[str]
    series: list[Series]
    unit: str = ""
    years: list[str] = field(default_factory=list)
    top: float = 0  # the axis reaches it at least: a rating scale's top (ITU: 5), whatever the values
    max_labels: int = 12
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    xlabels: list[Label] = field(default_factory=list)
    ylabels: list[Label] = field(default_factory=list)  # the years under the month labels
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM

    def __post_init__(self) -> None:
        values = [_number(v) for s in self.series for v in s.values]
        top = max([v for v in values if v is not None] or [0])
        axis = _axis(max(top, self.top))
        scale_max = axis[-1]
        plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        groups = max(len(self.labels), 1)
        group_w = plot_w / groups
        bar_w = group_w * 0.8 / max(len(self.series), 1)
        every = max(1, -(-groups // max(self.max_labels, 1)))
        for i, label in enumerate(self.labels):
            x0 = LEFT + i * group_w + group_w * 0.1
            x = round(LEFT + (i + 0.5) * group_w, 1)
            if i % every == 0:
                self.xlabels.append(Label(x=x, text=label))
            if self.years and (i == 0 or self.years[i] != self.years[i - 1]):
                self.ylabels.append(Label(x=x, text=self.years[i]))
            if self.years:
                label = f"{label} {self.years[i]}"
            for j, series in enumerate(self.series):
                value = _number(series.values[i]) if i < len(series.values) else None
                if value is None or scale_max == 0:
                    continue
                h = plot_h * value / scale_max
                self.bars.append(
                    Bar(
                        x=round(x0 + j * bar_w, 1),
                        y=round(TOP + plot_h - h, 1),
                        width=round(max(bar_w - 1, 1), 1),
                        height=round(h, 1),
                        css=f"chart-s{j % 4}",
                        text=f"{label}, {series.name}: {value:g}{self.unit}",
                    )
                )
        for value in axis if scale_max else [0, 0.25, 0.5, 0.75, 1]:  # an empty chart keeps its grid
            self.ticks.append(Tick(y=round(TOP + plot_h - plot_h * value / (scale_max or 1), 1), label=_short(value)))

    def _xlabels(self) -> SafeString:
        y = self.height - 22
        if self.words:
            return _names(self.xlabels, y)
        return _join(XLABEL, ((x.x, y, x.text) for x in self.xlabels))

    @property
    def words(self) -> bool:
        """Labels that are words, not months or codes of up to three characters ("1A")."""
        return not self.years and any(len(label) > CODE_LENGTH for label in self.labels)

    @property
    def description(self) -> str:
        names = ", ".join(s.name for s in self.series)
        return f"Bar chart of {names} by {len(self.labels)} groups; the table below gives every number."

    @property
    def html(self) -> SafeString:
        """The chart's <figure>: the SVG and, for several series, a legend (templates write `{{ chart.html }}`);
        with no bar to draw (every value 0 or suppressed), a line that says so instead of an empty grid."""
        if not self.bars:
            return format_html(EMPTY, title=self.title)
        legend = ""
        if len(self.series) > 1:
            legend = format_html(LEGEND, format_html_join("", LEGEND_ITEM, enumerate(s.name for s in self.series)))
        return format_html(
            FIGURE,
            width=self.width,
            height=self.height,
            key=self.key,
            title=self.title,
            description=self.description,
            baseline=self.baseline,
            ticks=_join(TICK, ((self.width, t.y, t.label) for t in self.ticks)),
            bars=_join(BAR, ((b.css, b.x, b.y, b.width, b.height, b.text) for b in self.bars)),
            xlabels=self._xlabels(),
            ylabels=_join(XLABEL, ((x.x, self.height - 6, x.text) for x in self.ylabels)),
            legend=legend,
        )


def _names(labels: list[Label], y: int) -> SafeString:
    return _join(NAME, (("name alt" if i % 2 else "name", x.x, y, x.text) for i, x in enumerate(labels)))


def _join(template: str, rows) -> SafeString:
    """`format_html_join("", template, rows)` that escapes only what is not a number: a chart writes up to
    ~100 bars of five numbers each, and escaping each number's string is most of the cost of writing them. What
    it escapes goes through the standard library's `html.escape`, which Django's `escape` calls behind a lazy-text
    wrapper that costs more than the escaping (the same characters out)."""
    return mark_safe(  # noqa: S308 (every value that is not an int or float is escaped)
        "".join(
            template.format(*(v if isinstance(v, int | float) else html.escape(str(v)) for v in row)) for row in rows
        )
    )


def _number(value) -> float | None:
    value = getattr(value, "value", value)
    return None if value is None else float(value)


def _short(value: float) -> str:
    """An axis number in at most four characters, so it fits left of the axis on a phone: 2.5, 250, 2500,
    25k, 250k, 2.5M."""
    for above, unit, suffix in ((1_000_000, 1_000_000, "M"), (10_000, 1_000, "k")):
        if value >= above:
            return f"{value / unit:g}{suffix}"
    return f"{value:g}"


def _axis(top: float) -> list[float]:
    """The axis ticks from 0 to at or above `top`: at most five steps of 1, 2, 2.5 or 5 times a power of ten
    (0, 10, 20, 30 for 26 rather than 0, 12.5, 25, 37.5, 50); [0] when there is nothing to draw."""
    if top <= 0:
        return [0]
    power = 10 ** math.floor(math.log10(top / 5))
    step = next(power * f for f in (1, 2, 2.5, 5, 10) if 5 * power * f >= top)
    return [round(step * n, 10) for n in range(math.ceil(round(top / step, 10)) + 1)]
