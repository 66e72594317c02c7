"""`{% submission_key %}`: the hidden field that makes a one-click action's form safe to send twice."""

import uuid

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def submission_key() -> str:
    """A fresh key per render (config.forms.run_action_once); no id, as a page may hold several such forms."""
    return format_html('<input type="hidden" name="submission_key" value="{}">', uuid.uuid4())
