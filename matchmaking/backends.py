"""Log in with the email address in any letter case (usernames are lower-cased emails);
failed passwords are counted per account, and a locked account is refused (``throttle``)."""

from django.contrib import messages
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from matchmaking import throttle
from matchmaking.auth_events import log_lockout


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        username = username.strip().lower()
        if throttle.login_locked(username):
            # Raised, not returned as None: the log-in form (ours and the admin's) shows it as
            # its error instead of "wrong password". The page also shows it as a message.
            log_lockout(request, username)
            if request is not None and hasattr(request, "_messages"):
                messages.error(request, throttle.LOGIN_LOCKED_MESSAGE)
            raise ValidationError(throttle.LOGIN_LOCKED_MESSAGE, code="throttled")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttle.record_login_failure(username)
        return user
