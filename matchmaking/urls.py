from django.urls import path

from matchmaking import views

app_name = "matchmaking"
urlpatterns = [
    # Accounts (log in/out and password reset: django.contrib.auth.urls under accounts/).
    path("signup/", views.signup, name="signup"),
    path("privacy/", views.privacy, name="privacy"),
    path("verify/resend/", views.resend_verification, name="resend_verification"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    # Interests and suggestions.
    path("dashboard/", views.dashboard, name="dashboard"),
    path("interests/new/", views.interest_new, name="interest_new"),
    path("interests/<int:pk>/", views.interest_detail, name="interest_detail"),
    path("interests/<int:pk>/edit/", views.interest_edit, name="interest_edit"),
    path("interests/<int:pk>/pause/", views.interest_pause, name="interest_pause"),
    path("interests/<int:pk>/delete/", views.interest_delete, name="interest_delete"),
    path("suggestions/<int:pk>/mark/", views.mark_suggestion, name="mark_suggestion"),
    # My data.
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/export.json", views.export_data, name="export_data"),
    path("my-data/notifications/", views.notifications, name="notifications"),
    path("my-data/delete/", views.delete_account, name="delete_account"),
    path("profile/", views.organisation_profile, name="organisation_profile"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Match preview and JSON.
    path("match-preview/", views.match_preview, name="match_preview"),
    path("api/v1/me/suggestions/", views.MySuggestions.as_view(), name="api_my_suggestions"),
    path("api/v1/me/computing/", views.MyComputing.as_view(), name="api_my_computing"),
    path("api/v1/match-preview/", views.MatchPreview.as_view(), name="api_match_preview"),
    # Introductions (double opt-in), for both sides.
    path("introductions/", views.introductions, name="introductions"),
    path(
        "introductions/request/<slug:slug>/",
        views.request_introduction,
        name="request_introduction",
    ),
    path("introductions/<int:pk>/", views.introduction_detail, name="introduction_detail"),
    path("introductions/<int:pk>/accept/", views.introduction_accept, name="introduction_accept"),
    path(
        "introductions/<int:pk>/decline/", views.introduction_decline, name="introduction_decline"
    ),
    path("introductions/<int:pk>/spam/", views.introduction_spam, name="introduction_spam"),
    path(
        "introductions/<int:pk>/outcome/", views.introduction_outcome, name="introduction_outcome"
    ),
    path("introductions/link/<str:token>/", views.introduction_link, name="introduction_link"),
    # A cluster manager: the organisations interested in a managed cluster.
    path(
        "managed/<slug:slug>/organisations/",
        views.cluster_organisations,
        name="cluster_organisations",
    ),
    path(
        "managed/<slug:slug>/organisations/<int:pk>/introduce/",
        views.introduce_organisation,
        name="introduce_organisation",
    ),
    # Staff.
    path("staff/introductions.csv", views.introductions_csv, name="introductions_csv"),
    path("staff/introductions/", views.introductions_funnel, name="introductions_funnel"),
]
