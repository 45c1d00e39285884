"""The site's URLs plus a trivial view: the ceiling the pages benchmark compares against."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_safe


@require_safe
def trivial(request):
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("config.urls")),
]
