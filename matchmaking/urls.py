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
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Match preview and JSON.
    path("match-preview/", views.match_preview, name="match_preview"),
    path("api/me/suggestions/", views.my_suggestions, name="api_my_suggestions"),
    path("api/me/computing/", views.my_computing, name="api_my_computing"),
    path("api/match-preview/", views.match_preview_api, name="api_match_preview"),
    # Staff.
    path("staff/interested.csv", views.interested_csv, name="interested_csv"),
]
