"""Small template helpers for the directory pages."""

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def http_url(value: str) -> str:
    """``value`` if it is an absolute http(s) URL, else "" (so it is shown, not linked)."""
    try:
        parts = urlsplit(value or "")
    except ValueError:
        return ""
    return value if parts.scheme in ("http", "https") and parts.netloc else ""


@register.filter
def page_messages(messages) -> list:
    """The messages shown at the top of the page: not those tagged "card-<id>", which the
    matching card shows beside its buttons."""
    return [message for message in messages if not (message.extra_tags or "").startswith("card-")]
