"""How views call services: a service's ValidationError becomes what the person reads on the page."""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

T = TypeVar("T")


def run_service(form: forms.Form, service: Callable[..., T], **kwargs) -> T | None:
    """Call `service(**kwargs)`; its ValidationError becomes form errors so the page re-renders with them.

    Returns the service's result, or None when it refused (the form then carries the reasons).
    """
    try:
        return service(**kwargs)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return None


def run_action(
    request: HttpRequest, service: Callable[..., T], *, success: str | Callable[[T], str], **kwargs
) -> T | None:
    """Call `service(**kwargs)` for a one-click action (a button, no form to re-render).

    On success the `success` message (or `success(result)`) is shown and the result returned; on a ValidationError its
    messages are shown instead and None is returned. The caller redirects either way.
    """
    try:
        result = service(**kwargs)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


def form_errors(form: forms.Form) -> str:
    """Every error of a bound form as one sentence, for a form posted from another page."""
    return " ".join(message for errors in form.errors.values() for message in errors)
