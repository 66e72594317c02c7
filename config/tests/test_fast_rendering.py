"""Pages render fast: templates are compiled once per process, and long selects skip a template per option."""

from django import forms
from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader

from config.forms import Select

CHOICES = [("", "Choose"), ("1", "Ana <& Bo>"), ("2", 'Cy "the" coach')]
ATTRS = {"class": "form-select", "autofocus": True, "disabled": False, "data-x": "a&b"}


class _Form(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES, widget=forms.Select(attrs=ATTRS))
    fast = forms.ChoiceField(choices=CHOICES, widget=Select(attrs=ATTRS))


def test_it_writes_the_markup_of_djangos_select():
    form = _Form({"plain": "2", "fast": "2"})
    fast = str(form["fast"])
    assert fast.replace("fast", "plain") == str(form["plain"])
    assert '<option value="2" selected>Cy &quot;the&quot; coach</option>' in fast
    assert ' autofocus data-x="a&amp;b" required' in fast


def test_it_leaves_option_groups_to_djangos_templates():
    field = forms.ChoiceField(choices=[("Group <1>", [("1", "one")])], widget=Select)
    html = field.widget.render("g", "1")
    assert '<optgroup label="Group &lt;1&gt;">' in html and '<option value="1" selected>one</option>' in html


def test_it_compiles_each_template_once_per_process():
    """Django wraps the loaders in its cached loader unless settings name loaders: keep it so."""
    assert [type(loader) for loader in engines["django"].engine.template_loaders] == [CachedLoader]
