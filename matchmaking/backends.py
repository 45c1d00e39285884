"""Log in with the email address in any letter case (usernames are lower-cased emails);
failed passwords are counted per account and per client address, and a locked account or
address is refused (``throttle``)."""

from django.contrib import messages
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from matchmaking import throttle
from matchmaking.auth_events import log_lockout


def _refuse(request, username: str, message, *, why: str):
    # Raised, not returned as None: the log-in form (ours and the admin's) shows it as its
    # error instead of "wrong password". The page also shows it as a message.
    log_lockout(request, username, why=why)
    if request is not None and hasattr(request, "_messages"):
        messages.error(request, message)
    raise ValidationError(message, code="throttled")


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        username = username.strip().lower()
        if throttle.address_locked(request):
            _refuse(request, username, throttle.ADDRESS_LOCKED_MESSAGE, why="address")
        if throttle.login_locked(username):
            _refuse(request, username, throttle.LOGIN_LOCKED_MESSAGE, why="account")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttle.record_login_failure(username, request)
        return user
