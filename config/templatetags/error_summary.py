"""`{% error_summary form %}`: at the top of a long form, how many answers to fix and a link to the first ones
(config.forms.error_summary). It takes the focus when the page loads, so a keyboard or screen reader starts there."""

from django import template

from config.forms import error_summary as summarize

register = template.Library()


@register.inclusion_tag("partials/error_summary.html")
def error_summary(form) -> dict:
    return {"summary": summarize(form)}
