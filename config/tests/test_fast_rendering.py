"""Pages render fast: templates are compiled once per process, long selects skip a template per option, and a
filter bar's fields skip crispy's templates (`as_field`), each writing the same markup."""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader

from config.forms import DateInput, InlineRadios, Select, SingleLineField, escaped
from config.templatetags.fields import as_field

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


class _Dates(forms.Form):
    plain = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    fast = forms.DateField(required=False, widget=DateInput(attrs={"type": "date", "class": "form-control"}))


@pytest.mark.parametrize("value", [None, "2026-02-03", 'x"<&', ""])
def test_it_writes_the_markup_of_djangos_date_input(value):
    form = _Dates(None if value is None else {"plain": value, "fast": value})
    fast = str(form["fast"])
    assert fast.replace("fast", "plain") == str(form["plain"])
    assert fast.startswith('<input type="date" name="fast"')


def test_it_compiles_each_template_once_per_process():
    """Django wraps the loaders in its cached loader unless settings name loaders: keep it so."""
    assert [type(loader) for loader in engines["django"].engine.template_loaders] == [CachedLoader]


class _Fields(forms.Form):
    """One field of each kind `as_field` writes, required or not, with and without help text."""

    choice = forms.ChoiceField(choices=CHOICES, required=False, widget=Select)
    required_choice = forms.ChoiceField(choices=CHOICES, widget=Select, help_text="Pick <em>one</em>")
    django_select = forms.ChoiceField(choices=CHOICES, required=False, widget=forms.Select(attrs={"class": "x"}))
    text = SingleLineField(required=False, max_length=20, label="Name <or> e-mail")
    required_text = SingleLineField(max_length=20, help_text="Who & why")
    number = forms.IntegerField(required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tick = forms.BooleanField(required=False, label="Only <mine>")
    required_tick = forms.BooleanField(help_text="Tick it")

    def clean(self):
        if self.data.get("two"):
            for name in self.fields:
                self.add_error(name, "A second <error>.")


def _crispy_and_fast(form):
    return [(as_crispy_field(form[name]), as_field(form[name])) for name in form.fields]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"choice": "2", "required_choice": "1", "text": "Ana", "required_text": "Bo", "number": "3", "tick": "on",
         "required_tick": "on", "notes": "a\nb"},
        {"choice": "9", "text": "a\nb", "number": "x"},
        {"choice": "9", "text": "a\nb", "number": "x", "two": "1"},
    ],
    ids=["unbound", "empty", "valid", "invalid", "two-errors"],
)  # fmt: skip
def test_it_writes_the_markup_of_crispys_bootstrap5_field(data):
    """`as_field` writes what `as_crispy_field` writes, byte for byte, and leaves the widget as crispy leaves it."""
    crispy, fast = _Fields(data), _Fields(data)
    if data is not None:
        crispy.is_valid(), fast.is_valid()
    for name in crispy.fields:
        assert as_field(fast[name]) == as_crispy_field(crispy[name]), name
        assert fast.fields[name].widget.attrs == crispy.fields[name].widget.attrs, name


def test_it_leaves_other_fields_to_crispy():
    class Other(forms.Form):
        hidden = forms.CharField(widget=forms.HiddenInput)
        radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
        boxes = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple)
        upload = forms.FileField()
        unlabelled = forms.CharField(label="")

    crispy, fast = Other({}), Other({})
    crispy.is_valid(), fast.is_valid()
    for name in crispy.fields:
        assert as_field(fast[name]) == as_crispy_field(crispy[name]), name


def test_it_escapes_as_conditional_escape():
    from django.utils.functional import lazy
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    values = ["Ana <& Bo> 'x' \"y\"", mark_safe("<b>safe</b>"), gettext_lazy("Any <school>"), 16, None, 1.5]
    values.append(lazy(lambda: mark_safe("<i>lazy safe</i>"), str)())
    for value in values:
        assert escaped(value) == conditional_escape(value), value


RADIO_LOOP = (
    '{% for radio in field %}<div class="form-check form-check-inline">{{ radio.tag }}'
    '<label class="form-check-label" for="{{ radio.id_for_label }}">{{ radio.choice_label }}</label></div>{% endfor %}'
)


class _Radios(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES[1:], widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    fast = forms.ChoiceField(choices=CHOICES[1:], widget=InlineRadios)


def test_it_writes_bootstrap_inline_radios_as_a_template_loop_over_djangos_radios_does():
    form = _Radios({"plain": "2", "fast": "2"})
    loop = engines["django"].from_string(RADIO_LOOP).render({"field": form["plain"]})
    fast = str(form["fast"])
    assert fast.replace("fast", "plain") == loop
    assert '<input type="radio" name="fast" value="2" class="form-check-input" id="id_fast_1" required checked>' in fast
    assert '<label class="form-check-label" for="id_fast_0">Ana &lt;&amp; Bo&gt;</label>' in fast
