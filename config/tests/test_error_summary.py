"""A long form's error summary (config.forms.error_summary): the whole form's errors first, then each field's in the
page's order, each linked to the control that fixes it; the first five, and how many more."""

from django import forms

from config.forms import SubmissionKeyMixin, error_summary


class Form(SubmissionKeyMixin):
    name = forms.CharField(label="Name")
    day = forms.TypedChoiceField(label="Day", choices=[(1, "Mon"), (2, "Tue")], widget=forms.RadioSelect)
    tags = forms.MultipleChoiceField(label="Tags", choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)

    def clean(self):
        raise forms.ValidationError("Nothing saves on a Sunday.")


def test_it_links_each_field_to_its_control_after_the_whole_forms_errors():
    form = Form({"submission_key": "not-a-key"})
    form.is_valid()

    summary = error_summary(form)

    assert summary.count == 5 and summary.more == 0
    assert [(line.text, line.anchor) for line in summary.lines] == [
        ("Nothing saves on a Sunday.", ""),
        ("Submission key: Enter a valid UUID.", ""),  # hidden: nothing to go to
        ("Name: This field is required.", "id_name"),
        ("Day: This field is required.", "id_day_0"),  # a group of radios: its first
        ("Tags: This field is required.", "id_tags_0"),
    ]


def test_it_shows_the_first_five_and_counts_the_rest():
    fields = {f"f{n}": forms.CharField(label=f"Field {n}") for n in range(8)}
    form = type("Long", (forms.Form,), fields)({})
    form.is_valid()

    summary = error_summary(form)

    assert (summary.count, len(summary.lines), summary.more) == (8, 5, 3)
    assert summary.lines[0].anchor == "id_f0"


def test_it_has_nothing_to_say_for_an_unbound_or_valid_form():
    assert error_summary(Form()) is None
    assert error_summary(forms.Form({})) is None
