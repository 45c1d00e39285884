from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from matchmaking.auth_events import LoggedPasswordResetForm, UnlockingSetPasswordForm


def api_v0_redirect(request, rest):
    """The API's paths before it had versions (``/api/clusters/?...``) lead to ``/api/v1/``,
    query string kept (the path as the request escaped it: no header injection)."""
    return HttpResponsePermanentRedirect("/api/v1/" + request.get_full_path()[len("/api/") :])


# The admin in the site's name, not "Django administration".
admin.site.site_header = _("EU–Mexico cluster matchmaking: staff")
admin.site.site_title = _("EU–Mexico cluster matchmaking staff")
admin.site.index_title = _("Curate clusters, follow matching and introductions")
# Lists need the width at 1280 px more than a second copy of the index beside them.
admin.site.enable_nav_sidebar = False

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
    # The API's OpenAPI 3 schema, generated from its views, and Swagger UI over it (its files
    # served by the site: drf-spectacular-sidecar; its script a file, for the CSP).
    path("api/schema/", SpectacularJSONAPIView.as_view(), name="api_schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="api/docs.html"),
        name="api_docs",
    ),
    path("", include("matchmaking.urls")),  # before clusters: its api/v1/ catch-all answers 404
    path("", include("clusters.urls")),
    re_path(r"^api/(?!v1/|v1$)(?P<rest>[\s\S]*)$", api_v0_redirect, name="api_v0_redirect"),
]

handler500 = "clusters.api.server_error"  # JSON under /api/


def media(request, path):
    """Uploaded cluster logos (checked images); a reverse proxy may serve MEDIA_ROOT instead."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_MEDIA:
    urlpatterns.insert(0, re_path(r"^media/(?P<path>.+)$", media, name="media"))
