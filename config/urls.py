from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve

from matchmaking.auth_events import LoggedPasswordResetForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Django's password reset, logging each request (matchmaking.auth_events).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=LoggedPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("matchmaking.urls")),  # before clusters: its api/ catch-all answers 404
    path("", include("clusters.urls")),
]


def media(request, path):
    """Uploaded cluster logos (checked images); a reverse proxy may serve MEDIA_ROOT instead."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA:
    urlpatterns.insert(0, re_path(r"^media/(?P<path>.+)$", media, name="media"))
