"""What the site's read-only JSON API (Django REST framework) shares: the base view, the
error shape ``{"error": message, "fields": {name: [messages]}}`` and its schema."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

JSON_OPTIONS = {"ensure_ascii": False}


def json_response(data, status=200):
    return JsonResponse(data, status=status, safe=False, json_dumps_params=JSON_OPTIONS)


def json_error(message, status, fields=None):
    """``{"error": message}`` plus ``"fields": {name: [messages]}`` when given."""
    body = {"error": str(message)}
    if fields is not None:
        body["fields"] = fields
    return json_response(body, status=status)


def exception_handler(exc, context):
    """DRF's errors (405, 403, 404, validation) in the API's own error shape."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.MethodNotAllowed):
        message = _("Method not allowed: this API is read-only.")
    elif isinstance(exc, exceptions.ValidationError):
        message = _("Some parameters could not be used.")
    else:
        message = getattr(exc, "detail", response.data)
    body = json_error(message, response.status_code)
    for name, value in response.headers.items():
        if name.lower() in ("allow", "www-authenticate", "retry-after"):
            body[name] = value
    return body


class JSONAlways(BaseContentNegotiation):
    """JSON whatever the ``Accept`` header asks for (no 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReadOnlyAPIView(APIView):
    """GET and HEAD only: any other method answers a JSON 405 (``Allow: GET, HEAD``) before
    authentication, so a stray POST gets that 405 rather than a CSRF 403."""

    http_method_names = ["get", "head"]
    content_negotiation_class = JSONAlways

    def initial(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)


# --- The error shape, for the schema ---------------------------------------------------------

ERROR = inline_serializer(
    "Error",
    {
        "error": serializers.CharField(help_text="What went wrong, in the request's language."),
    },
)
PARAMETER_ERROR = inline_serializer(
    "ParameterError",
    {
        "error": serializers.CharField(help_text="What went wrong, in the request's language."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="The messages for each parameter that could not be used.",
        ),
    },
)
BAD_PARAMETERS = OpenApiResponse(PARAMETER_ERROR, description="Parameters that cannot be used.")
NOT_FOUND = OpenApiResponse(ERROR, description="Nothing there.")
