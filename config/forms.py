"""How views call services (a service's ValidationError becomes what the person reads on the page; a create
form sent twice saves once), and the fields every form shares: one-line text refuses control characters.

A refusal may carry what to do instead: `params["next"]`, an object with `url` and `label` (and `posts`
when it is a button that posts), e.g. coaching.moves.Move. Forms keep those in `next_moves` and messages
end with a link to each, so every refusal says what to do next and links there.
"""

import html
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from config.models import Submission
from config.text import SINGLE_LINE_MESSAGE, has_control_characters

T = TypeVar("T")

ALREADY_SAVED = "Already saved: it was sent twice, and it is saved once."


def refuse_control_characters(value: str) -> None:
    """A validator: one line of text, without line breaks, tabs or any other control character (config.text)."""
    if has_control_characters(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


class SingleLineField(forms.CharField):
    """The text field of every one-line value (names, titles, searches): it refuses control characters, so a
    name typed with a line break can never become a second e-mail header or calendar line. Multi-line text
    (notes) uses a Textarea and keeps its line breaks."""

    default_validators = [refuse_control_characters]


def escaped(value) -> str:
    """`conditional_escape(value)`: a safe string as it is, anything else escaped as Django escapes it, without
    conditional_escape's wrappers for lazy text (~1 µs a value), for markup written in Python a value at a time
    (a select's hundred options, a table's cells)."""
    if isinstance(value, Promise):
        value = str(value)
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


class Select(forms.Select):
    """Django's Select, its options written in Python: the markup of Django's templates (select.html,
    select_option.html, attrs.html) without two templates rendered per option, which cost a district's
    thousand coaches ~100 ms a page. Option groups are left to the templates."""

    def _render(self, template_name, context, renderer=None):
        widget = context["widget"]
        if any(name for name, _, _ in widget["optgroups"]):
            return super()._render(template_name, context, renderer)
        # Escaped as format_html would, without its per-call cost (a hundred schools' options, on every filter).
        options = "".join(
            f'\n  <option value="{escaped(o["value"])}"{_attrs(o["attrs"]) if o["attrs"] else ""}>'
            f"{escaped(o['label'])}</option>\n"  # each option template ends with a line break
            for _, group, _ in widget["optgroups"]
            for o in group
        )
        select = '<select name="{}"{}>{}\n</select>'
        return format_html(select, widget["name"], _attrs(widget["attrs"]), mark_safe(options))  # noqa: S308


class DateInput(forms.DateInput):
    """Django's DateInput, written in Python: the markup of its templates (date.html, input.html, attrs.html),
    without three templates rendered per field (a dashboard's filters have two)."""

    def _render(self, template_name, context, renderer=None):
        widget = context["widget"]
        value = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html(
            '<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], value, _attrs(widget["attrs"])
        )


class InlineRadios(forms.RadioSelect):
    """Bootstrap 5's inline radios, each `<div class="form-check form-check-inline">` with its
    `form-check-input` and `form-check-label`, written in Python: the markup a template loop over the field's
    radios writes (`{{ radio.tag }}` and a label each), without two templates rendered per radio (a
    self-assessment has 72). Option groups are left to Django's templates."""

    OPTION = (
        '<div class="form-check form-check-inline"><input type="radio" name="{}"{}{}>'
        '<label class="form-check-label" for="{}">{}</label></div>'
    )

    def __init__(self, attrs=None, choices=()):
        super().__init__({"class": "form-check-input", **(attrs or {})}, choices)

    def _render(self, template_name, context, renderer=None):
        widget = context["widget"]
        if any(name for name, _, _ in widget["optgroups"]):
            return super()._render(template_name, context, renderer)
        return mark_safe(  # noqa: S308 (each value is escaped)
            "".join(
                self.OPTION.format(
                    escaped(o["name"]),
                    "" if o["value"] is None else f' value="{escaped(o["value"])}"',
                    _attrs(self._in_tag_order(o["attrs"])),
                    escaped(o["attrs"].get("id", "")),
                    escaped(o["label"]),
                )
                for _, group, _ in widget["optgroups"]
                for o in group
            )
        )

    def _in_tag_order(self, attrs: dict) -> dict:
        """The order `{{ radio.tag }}` writes them in: the widget's own, the id, then the field's (required…)."""
        first = [*self.attrs, "id"]
        return {**{k: attrs[k] for k in first if k in attrs}, **{k: v for k, v in attrs.items() if k not in first}}


def read_choices_once(field: forms.ModelChoiceField, objects: Iterable[models.Model]) -> None:
    """Give `field` its options from `objects`, read once: a ModelChoiceField reads its queryset again each
    time its options are used (to render them, and to check the first for the `required` attribute). The
    submitted value is still checked against the field's queryset, unless the field is a ChoiceOfRead."""
    objects = list(objects)
    empty = [] if field.empty_label is None else [("", field.empty_label)]
    field.choices = [*empty, *((obj.pk, field.label_from_instance(obj)) for obj in objects)]
    if isinstance(field, ChoiceOfRead):
        field.read = {obj.pk: obj for obj in objects}


class ChoiceOfRead(forms.ModelChoiceField):
    """A ModelChoiceField whose options `read_choices_once` read from its own queryset (all of it): the submitted
    value is found among the objects read instead of in a second query. Accepted and refused values, and the
    refusal's message, are those of a ModelChoiceField."""

    read: dict | None = None

    def to_python(self, value):
        if self.read is None or self.to_field_name or value in self.empty_values:
            return super().to_python(value)
        if isinstance(value, self.queryset.model):
            value = value.pk
        try:  # the key as the query would have read it: "7" and " 7" are 7, "x" is no choice
            return self.read[self.queryset.model._meta.pk.to_python(value)]
        except (KeyError, TypeError, ValueError, ValidationError):
            invalid = self.error_messages["invalid_choice"]
            raise ValidationError(invalid, code="invalid_choice", params={"value": value}) from None


def _attrs(attrs: dict) -> SafeString:
    """Attributes as django/forms/widgets/attrs.html writes them: in order, True bare, False left out."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


def single_line_formfield(db_field: models.Field, **kwargs) -> forms.Field | None:
    """A ModelForm's field for a model field: a plain CharField (no choices) becomes a SingleLineField."""
    if type(db_field) is models.CharField and not db_field.choices:
        kwargs.setdefault("form_class", SingleLineField)
    return db_field.formfield(**kwargs)


class _SingleLineModelFormMetaclass(forms.models.ModelFormMetaclass):
    """Gives every subclass's Meta the formfield callback (Django reads it from each form's own Meta)."""

    def __new__(mcs, name, bases, attrs):
        meta = attrs.get("Meta")
        if meta is not None and not hasattr(meta, "formfield_callback"):
            meta.formfield_callback = staticmethod(single_line_formfield)
        return super().__new__(mcs, name, bases, attrs)


class ModelForm(forms.ModelForm, metaclass=_SingleLineModelFormMetaclass):
    """Cadence's ModelForm: its one-line text fields are SingleLineFields, like every hand-written form's."""


def next_moves(error: ValidationError) -> list:
    """The moves a refusal carries, once each, in order."""
    if hasattr(error, "error_dict"):
        each = [one for errors in error.error_dict.values() for one in errors]
    else:
        each = error.error_list
    found = []
    for one in each:
        move = (one.params or {}).get("next") if isinstance(one, ValidationError) else None
        if move is not None and move not in found:
            found.append(move)
    return found


def run_service(form: forms.Form, service: Callable[..., T], **kwargs) -> T | None:
    """Call `service(**kwargs)`; its ValidationError becomes form errors so the page re-renders with them.

    Returns the service's result, or None when it refused (the form then carries the reasons, and in
    `form.next_moves` what to do instead).
    """
    try:
        return service(**kwargs)
    except ValidationError as error:
        _add_errors(form, error)
        return None


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
    form.next_moves = [*getattr(form, "next_moves", []), *next_moves(error)]


def with_links(text: str, moves: Iterable) -> SafeString:
    """`text`, escaped, followed by a link to each move (buttons that post are left to their page)."""
    links = format_html_join(
        "", ' <a href="{}">{}</a>', ((m.url, m.label) for m in moves if not getattr(m, "posts", False))
    )
    return format_html("{}{}", text, links)


def refusal_message(error: ValidationError) -> SafeString:
    """The refusal's words and a link to what to do instead, for messages.error()."""
    return with_links(" ".join(error.messages), next_moves(error))


def run_action(
    request: HttpRequest, service: Callable[..., T], *, success: str | Callable[[T], str], **kwargs
) -> T | None:
    """Call `service(**kwargs)` for a one-click action (a button, no form to re-render).

    On success the `success` message (or `success(result)`) is shown and the result returned; on a ValidationError its
    messages (with a link to what to do instead) are shown and None is returned. The caller redirects either way.
    """
    try:
        result = service(**kwargs)
    except ValidationError as error:
        messages.error(request, refusal_message(error))
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def form_errors(form: forms.Form) -> SafeString:
    """Every error of a bound form as one sentence, for a form posted from another page (with its links)."""
    text = " ".join(message for errors in form.errors.values() for message in errors)
    return with_links(text, getattr(form, "next_moves", []))


@dataclass(frozen=True)
class ErrorLine:
    """One line of an error summary: what is wrong, and the id of the control to fix it in ("" for the whole form)."""

    text: str
    anchor: str = ""


@dataclass(frozen=True)
class ErrorSummary:
    """What a long form's summary at its top says (templates/partials/error_summary.html): how many answers to
    fix, the first `SUMMARY_LINES` with a link to each, and how many more the page marks below."""

    count: int
    lines: list[ErrorLine]

    @property
    def more(self) -> int:
        return self.count - len(self.lines)


SUMMARY_LINES = 5


def error_summary(form: forms.Form) -> ErrorSummary | None:
    """The summary of a bound form's errors, in the page's order (the whole form's first, then each field's):
    None when it has none. A field links to its control (a group of radios or checkboxes to its first one)."""
    if not form.is_bound or not form.errors:
        return None
    lines = [ErrorLine(message) for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            continue
        field = form[name]
        text = f"{field.label}: {' '.join(errors)}"
        if field.is_hidden:
            lines.append(ErrorLine(text))
        elif isinstance(field.field.widget, forms.RadioSelect):  # CheckboxSelectMultiple is one too
            lines.append(ErrorLine(text, f"{field.auto_id}_0"))
        else:
            lines.append(ErrorLine(text, field.id_for_label))
    return ErrorSummary(count=len(lines), lines=lines[:SUMMARY_LINES])


# --- create forms that are safe to send twice ----------------------------------------------------


class SubmissionKeyMixin(forms.Form):
    """A create form safe to send twice: every render carries a fresh key in a hidden field (`run_once`).

    After validation the key is on `form.submission_key` (None when the post had none: then nothing
    protects against a second send), never in `cleaned_data`, so views pass that to services as before.
    """

    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)

    def full_clean(self) -> None:
        super().full_clean()
        self.submission_key = getattr(self, "cleaned_data", {}).pop("submission_key", None)


class SubmissionForm(SubmissionKeyMixin):
    """The key alone, for a one-click action's form (`{% submission_key %}` renders its field; `run_action_once`)."""


class _Landed(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def _claim(user_id: int, key: uuid.UUID) -> Submission:
    """Store the key, or raise _Landed with where its first submit landed.

    A twin still in flight holds the key in its uncommitted transaction: the insert waits on the
    unique index until that commits (then IntegrityError: it landed) or rolls back (then this one saves).
    """
    try:
        with transaction.atomic():
            return Submission.objects.create(user_id=user_id, key=key)
    except IntegrityError:
        landed_at = Submission.objects.filter(user_id=user_id, key=key).values_list("landed_at", flat=True).first()
        raise _Landed(landed_at or "") from None


def _lost_a_race(error: IntegrityError) -> bool:
    """A unique constraint settled a race: another submit saved the same thing first."""
    return getattr(error.__cause__, "pgcode", None) == "23505" or "UNIQUE constraint failed" in str(error)


def run_once(
    request: HttpRequest,
    form: SubmissionKeyMixin,
    service: Callable[..., T],
    *,
    landing: Callable[[T], str],
    conflict: str,
    success: str | Callable[[T], str] | None = None,
    **kwargs,
) -> str | None:
    """Call the create service `service(**kwargs)` once per render of `form`; returns the URL to redirect to.

    - The first submit of a render claims its key and runs the service in one transaction, shows
      `success` (or `success(result)`; no message when None) and lands on `landing(result)`.
    - Another submit of that render, at the same moment or later, waits for the first to commit and
      lands where it did, with ALREADY_SAVED: nothing is written twice, nothing fails.
    - When a natural unique constraint (one step of each kind per cycle, one open challenge, …) shows
      that another submit saved the same thing first: `conflict`, with ALREADY_SAVED.
    - When the service refuses (ValidationError): None, the form carries the reasons, and the key stays
      unclaimed so that the corrected form can be sent.
    """
    key = getattr(form, "submission_key", None)
    try:
        with transaction.atomic():
            claimed = _claim(request.user.pk, key) if key else None
            result = service(**kwargs)
            url = landing(result)
            if claimed:
                Submission.objects.filter(pk=claimed.pk).update(landed_at=url)
    except _Landed as earlier:
        messages.info(request, ALREADY_SAVED)
        return earlier.url or conflict
    except ValidationError as error:
        _add_errors(form, error)
        return None
    except IntegrityError as error:
        if not _lost_a_race(error):
            raise
        messages.info(request, ALREADY_SAVED)
        return conflict
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return url


def page_key(request: HttpRequest) -> uuid.UUID | None:
    """The submission key a create page keeps in its URL (`?key=…`): None when it has none (or a malformed one),
    and a GET then redirects to `with_new_key(request)`; the form takes it as its key's initial value.

    Every page is `no-store` (accounts.middleware), so Back after a save fetches the form again, and the browser
    puts back what was typed but not a hidden field: a key drawn at each render would be a new one, and Save would
    save twice. Kept in the URL, the page that Back brings has the first render's key, and Save lands where the
    first save did.
    """
    try:
        return uuid.UUID(request.GET.get("key", ""))
    except ValueError:
        return None


def to_keyed_page(request: HttpRequest) -> HttpResponseRedirect | None:
    """For a create page that keeps its submission key in its URL (`page_key`): on a GET without one, the redirect
    to the same page with a new one (`with_new_key`); else None. Called after the view's access checks, so that who
    may not see the page gets its 403 or 404, not a redirect; the form takes `page_key(request)` as its key."""
    if request.method == "GET" and page_key(request) is None:
        return HttpResponseRedirect(with_new_key(request))
    return None


def with_new_key(request: HttpRequest) -> str:
    """The page's URL with a fresh `key` (its other parameters kept)."""
    query = request.GET.copy()
    query["key"] = str(uuid.uuid4())
    return f"{request.path}?{query.urlencode()}"


def landed_at(request: HttpRequest, key: uuid.UUID | None) -> str | None:
    """Where the first submit of `key` landed, when one did (the page that Back brings after a save): 1 query."""
    if key is None:
        return None
    return Submission.objects.filter(user_id=request.user.pk, key=key).values_list("landed_at", flat=True).first()


def run_action_once(
    request: HttpRequest,
    service: Callable[..., T],
    *,
    landing: Callable[[T], str],
    conflict: str,
    success: str | Callable[[T], str] | None = None,
    **kwargs,
) -> str:
    """`run_once` for a one-click action whose form carries `{% submission_key %}`; returns the URL to redirect
    to: where the action landed, or `conflict` with the service's refusal as a message."""
    form = SubmissionForm(request.POST)
    form.is_valid()  # a missing or malformed key only means no protection against a second send
    url = run_once(request, form, service, landing=landing, conflict=conflict, success=success, **kwargs)
    if url is None:
        messages.error(request, form_errors(form))
        return conflict
    return url
