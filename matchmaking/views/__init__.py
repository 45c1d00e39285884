"""The people-facing matchmaking pages and JSON; one module per area."""

from matchmaking.views.accounts import privacy, resend_verification, signup, verify_email
from matchmaking.views.api import MatchPreview, MyComputing, MySuggestions, match_preview
from matchmaking.views.dashboard import dashboard
from matchmaking.views.interests import (
    interest_delete,
    interest_detail,
    interest_edit,
    interest_new,
    interest_pause,
    mark_suggestion,
)
from matchmaking.views.introductions import (
    cluster_organisations,
    introduce_organisation,
    introduction_accept,
    introduction_decline,
    introduction_detail,
    introduction_link,
    introduction_outcome,
    introduction_spam,
    introductions,
    request_introduction,
)
from matchmaking.views.mydata import (
    delete_account,
    export_data,
    my_data,
    notifications,
    organisation_profile,
    unsubscribe,
)
from matchmaking.views.staff import introductions_csv, introductions_funnel

__all__ = [
    "MatchPreview",
    "MyComputing",
    "MySuggestions",
    "cluster_organisations",
    "dashboard",
    "delete_account",
    "export_data",
    "interest_delete",
    "interest_detail",
    "interest_edit",
    "interest_new",
    "interest_pause",
    "introduce_organisation",
    "introduction_accept",
    "introduction_decline",
    "introduction_detail",
    "introduction_link",
    "introduction_outcome",
    "introduction_spam",
    "introductions",
    "introductions_csv",
    "introductions_funnel",
    "mark_suggestion",
    "match_preview",
    "my_data",
    "notifications",
    "organisation_profile",
    "privacy",
    "request_introduction",
    "resend_verification",
    "signup",
    "unsubscribe",
    "verify_email",
]
