from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from matchmaking.auth_events import LoggedPasswordResetForm

# The admin in the site's name, not "Django administration".
admin.site.site_header = _("EU–Mexico cluster matchmaking: staff")
admin.site.site_title = _("EU–Mexico cluster matchmaking staff")
admin.site.index_title = _("Curate clusters, follow matching and introductions")
# Lists need the width at 1280 px more than a second copy of the index beside them.
admin.site.enable_nav_sidebar = False

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
