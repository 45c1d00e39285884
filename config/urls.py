from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from matchmaking.auth_events import LoggedPasswordResetForm, UnlockingSetPasswordForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Django's password reset, logging each request, limited (matchmaking.auth_events).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=LoggedPasswordResetForm),
        name="password_reset",
    ),
    # A new password set by a reset lifts the log-in lock (matchmaking.throttle).
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=UnlockingSetPasswordForm),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("events/", include("matchmaking.events.urls")),
    path("", include("matchmaking.urls")),  # before clusters: its api/ catch-all answers 404
    path("", include("clusters.urls")),
]

handler500 = "clusters.api.server_error"  # JSON under /api/
