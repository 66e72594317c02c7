"""`{{ form.field|as_field }}`: crispy-forms' `as_crispy_field` (bootstrap5), written in Python.

The markup of crispy-forms' bootstrap5 field.html and the templates it includes, whitespace included, for the
fields a filter bar is made of: a select, a one-line input or text area, a tick box, each with its label, errors
and help text. Crispy renders four templates and resolves some forty template variables per field, which cost a
page of six filters ~3 ms; this writes the same bytes (config/tests/test_fast_rendering.py compares them for every
case) and hands any other field (hidden, file, radio buttons, several widgets, a form with a helper) to crispy.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.forms import BoundField
from django.forms.widgets import Input
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# field.html around the widget, for a field in a <div> (no `tag`, `form_class`, `label_class` or `field_class`)
OPEN = '\n\n\n    \n    <div id="div_{id}" class="mb-3">\n        \n'
LABEL = '            \n            <label\n                for="{id}" class="form-label{required}">\n                {label}{asterisk}\n            </label>\n        \n'  # noqa: E501
BEFORE_SELECT = "\n        \n\n        \n            \n                \n                    \n                        \n                            "  # noqa: E501
AFTER_SELECT = "\n                        \n                    \n                    \n                        "
BEFORE_INPUT = "\n        \n\n        \n            \n                \n                    \n                        "
AFTER_INPUT = "\n                    \n                    \n                        "
CLOSE = "\n                    \n                \n            \n        \n        \n    </div>\n    \n\n"
# a tick box: its label after it, in a form-check inside a mb-3
OPEN_CHECK = '\n\n\n    \n        <div class="mb-3">\n        \n    \n    <div id="div_{id}" class="form-check">\n        \n\n        \n\n        \n            \n                    \n                        '  # noqa: E501
CHECK_LABEL = '\n                    \n                <label for="{id}" class="form-check-label{required}">\n                    {label}{asterisk}\n                </label>\n                '  # noqa: E501
CLOSE_CHECK = "\n            \n        \n        \n    </div>\n    \n        \n        </div>\n    \n\n"
# help_text_and_errors.html, with field_errors_block.html and help_text.html
ERRORS = '\n    <div id="{id}_error" class="invalid-feedback">\n    {errors}\n    </div>\n'
ERROR = '\n        <p id="error_{n}_{id}"><strong>{error}</strong></p>\n    '
HELP = '\n    \n        <div id="{id}_helptext" class="form-text">{help}</div>\n    \n'
REQUIRED, ASTERISK = " requiredField", '<span class="asteriskField">*</span>'


@register.filter
def as_field(field: BoundField) -> SafeString:
    """The field as `{{ field|as_crispy_field }}` writes it (bootstrap5), label, errors and help text included."""
    widget = field.field.widget
    if not _written_here(field, widget):
        return as_crispy_field(field)
    required = field.field.required
    label = {
        "id": conditional_escape(field.id_for_label),
        "label": conditional_escape(field.label),
        "required": REQUIRED if required else "",
        "asterisk": ASTERISK if required else "",
    }
    invalid = " is-invalid" if field.errors else ""
    if isinstance(widget, forms.CheckboxInput):
        html = (
            OPEN_CHECK.format(id=conditional_escape(field.auto_id))
            + _widget(field, widget, "form-check-input" + invalid)
            + CHECK_LABEL.format(**label)
            + _help_and_errors(field)
            + CLOSE_CHECK
        )
    else:
        select = isinstance(widget, forms.Select)
        before, after = (BEFORE_SELECT, AFTER_SELECT) if select else (BEFORE_INPUT, AFTER_INPUT)
        html = (
            OPEN.format(id=conditional_escape(field.auto_id))
            + LABEL.format(**label)
            + before
            + _widget(field, widget, ("form-select" if select else "form-control") + invalid)
            + after
            + _help_and_errors(field)
            + CLOSE
        )
    return mark_safe(html)  # noqa: S308 (every value above is escaped, or rendered by Django)


def _written_here(field: BoundField, widget: forms.Widget) -> bool:
    """The cases this module writes; crispy's templates take the rest."""
    kinds = (forms.Select, forms.CheckboxInput, Input, forms.Textarea)
    others = (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.FileInput, forms.MultiWidget)
    return (
        isinstance(widget, kinds)
        and not isinstance(widget, others)
        and not field.is_hidden
        and not field.use_fieldset
        and bool(field.label and field.auto_id and field.id_for_label)
        and not field.css_classes()
        and getattr(field.form, "helper", None) is None
    )


def _widget(field: BoundField, widget: forms.Widget, classes: str) -> str:
    """The widget, its class set as crispy's `{% crispy_field %}` sets it (on the widget itself, as crispy does)."""
    name = type(widget).__name__.lower()
    css = widget.attrs.get("class", "")
    css = (css if name in css else f"{css} {name}") if css else name
    css += "".join(f" {one}" for one in classes.split() if one not in css.split())
    widget.attrs["class"] = css
    return str(field)


def _help_and_errors(field: BoundField) -> str:
    auto_id, errors, help_text = conditional_escape(field.auto_id), "", ""
    if field.errors:
        each = "".join(
            ERROR.format(n=n, id=auto_id, error=conditional_escape(error)) for n, error in enumerate(field.errors, 1)
        )
        errors = ERRORS.format(id=conditional_escape(field.errors.field_id), errors=each)
    if field.help_text:
        help_text = HELP.format(id=auto_id, help=field.help_text)  # crispy marks help text safe
    return f"\n\n\n    {errors}\n\n\n\n\n    {help_text}\n\n\n"
