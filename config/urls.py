from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("matchmaking.urls")),  # before clusters: its api/ catch-all answers 404
    path("", include("clusters.urls")),
]
