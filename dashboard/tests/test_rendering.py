"""The markup the dashboards build in Python (not in template loops) is the markup their partials wrote."""

from django.template import Context, Template

from dashboard.selectors import Figure


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_it_writes_a_shown_figure_as_its_number():
    assert _render("{{ f.html }}", f=Figure(12345, 5)) == "12,345"
    assert _render("{{ f.html }}", f=Figure(7.5, 5)) == "7.5"


def test_it_writes_a_suppressed_figure_in_italics():
    assert _render("{{ f.html }}", f=Figure(None, 5)) == '<span class="fst-italic">fewer than 5</span>'
    assert str(Figure(None, 5)) == "fewer than 5"  # the CSV's cell: no markup
