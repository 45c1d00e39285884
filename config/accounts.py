"""What every account of the site shares, whichever app makes it (an organisation's sign-up,
a cluster manager's claim): how an email address is compared, whether one is taken, and the
language an account's emails are written in."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_taken(email: str) -> bool:
    """Another account already uses this email address (compared case-insensitively)."""
    email = normalise_email(email)
    User = get_user_model()
    return (
        User.objects.filter(username__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    )


def email_language(language: str | None) -> str:
    """One of ``settings.LANGUAGES`` for ``language`` ("es-mx" -> "es"); the site default for
    an unknown or empty one."""
    try:
        return translation.get_supported_language_variant(language or "")
    except LookupError:
        return settings.LANGUAGE_CODE
