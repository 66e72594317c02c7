"""Server-drawn SVG charts: geometry computed and markup written here (`BarChart.html`), once per chart.

Each chart is an image with a title (`role="img"`, `aria-labelledby`) and is always shown beside a data
table with the same numbers, so nothing is only in the picture. Colours and sizes come from CSS classes
(static/css/cadence.css): no inline style, as the content security policy requires. A value that is
None (a suppressed figure) draws no bar; the table says "fewer than k".
"""

from dataclasses import dataclass, field

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 40

# The chart as a page shows it: written in Python, not in template loops (a chart has up to ~100 bars).
FIGURE = """<figure class="mb-2">
<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{key}-title {key}-desc" focusable="false">
  <title id="{key}-title">{title}</title>
  <desc id="{key}-desc">{description}</desc>
  {ticks}
  <line class="axis" x1="44" x2="{width}" y1="{baseline}" y2="{baseline}"/>
  {bars}
  {xlabels}
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
    """Grouped bars: one group per label, one bar per series."""

    key: str  # unique on the page: the ids of the title and description
    title: str
    labels: list[str]
    series: list[Series]
    unit: str = ""
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    xlabels: list[Label] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM

    def __post_init__(self) -> None:
        values = [_number(v) for s in self.series for v in s.values]
        top = max([v for v in values if v is not None] or [0])
        scale_max = _nice(top)
        plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        groups = max(len(self.labels), 1)
        group_w = plot_w / groups
        bar_w = group_w * 0.8 / max(len(self.series), 1)
        every = max(1, -(-groups // 12))  # at most 12 labels under the axis
        for i, label in enumerate(self.labels):
            x0 = LEFT + i * group_w + group_w * 0.1
            if i % every == 0:
                self.xlabels.append(Label(x=round(LEFT + (i + 0.5) * group_w, 1), text=label))
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
        for n in range(5):
            value = scale_max * n / 4
            self.ticks.append(Tick(y=round(TOP + plot_h - plot_h * n / 4, 1), label=f"{value:g}"))

    @property
    def description(self) -> str:
        names = ", ".join(s.name for s in self.series)
        return f"Bar chart of {names} by {len(self.labels)} groups; the table below gives every number."

    @property
    def html(self) -> SafeString:
        """The chart's <figure>: the SVG and, for several series, a legend (templates write `{{ chart.html }}`)."""
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
            xlabels=_join(XLABEL, ((x.x, self.height - 22, x.text) for x in self.xlabels)),
            legend=legend,
        )


def _join(template: str, rows) -> SafeString:
    """`format_html_join("", template, rows)` that escapes only what is not a number: a chart writes up to
    ~100 bars of five numbers each, and escaping each number's string is most of the cost of writing them."""
    return mark_safe(  # noqa: S308 (every value that is not an int or float is escaped)
        "".join(template.format(*(v if isinstance(v, int | float) else escape(v) for v in row)) for row in rows)
    )


def _number(value) -> float | None:
    value = getattr(value, "value", value)
    return None if value is None else float(value)


def _nice(top: float) -> float:
    """A round axis maximum at or above `top`."""
    if top <= 0:
        return 0
    step = 1
    while step * 10 < top:
        step *= 10
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= top:
            return step * factor
    return step * 10
