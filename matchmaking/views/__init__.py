"""The people-facing matchmaking pages and JSON; one module per area."""

from matchmaking.views.accounts import privacy, resend_verification, signup, verify_email
from matchmaking.views.api import match_preview, match_preview_api, my_computing, my_suggestions
from matchmaking.views.dashboard import dashboard
from matchmaking.views.interests import (
    interest_delete,
    interest_detail,
    interest_edit,
    interest_new,
    interest_pause,
    mark_suggestion,
)
from matchmaking.views.mydata import (
    delete_account,
    export_data,
    my_data,
    notifications,
    unsubscribe,
)
from matchmaking.views.staff import interested_csv

__all__ = [
    "dashboard",
    "delete_account",
    "export_data",
    "interest_delete",
    "interest_detail",
    "interest_edit",
    "interest_new",
    "interest_pause",
    "interested_csv",
    "mark_suggestion",
    "match_preview",
    "match_preview_api",
    "my_data",
    "my_computing",
    "my_suggestions",
    "notifications",
    "privacy",
    "resend_verification",
    "signup",
    "unsubscribe",
    "verify_email",
]
