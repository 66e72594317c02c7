"""Hooks that fit django-axes (login throttling) to Cadence: see AXES_* in config/settings.py."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.forms import LoginForm

LOCKOUT_MESSAGE = "Too many failed sign-ins. Try again in 15 minutes or reset your password."


def attempted_email(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a sign-in tried, normalised: "Dana@X.org " must count against dana@x.org."""
    value = (credentials or {}).get("username") or request.POST.get("username")
    return value.strip().lower() if value else None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: behind N trusted proxies, the one the outermost proxy saw.

    Each proxy appends the address it received from, so the N-th entry from the right was
    written by our outermost proxy; entries further left are whatever the client claimed.
    """
    count = settings.AXES_TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The login page again, saying why, with 429 Too Many Requests."""
    context = {
        "form": LoginForm(request, initial={"username": attempted_email(request, credentials)}),
        "lockout_message": LOCKOUT_MESSAGE,
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
