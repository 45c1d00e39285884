"""Small helpers shared by the site's read-only JSON endpoints (directory and matchmaking)."""

from functools import wraps

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

JSON_OPTIONS = {"ensure_ascii": False}


def json_response(data, status=200):
    return JsonResponse(data, status=status, safe=False, json_dumps_params=JSON_OPTIONS)


def json_error(message, status, fields=None):
    """``{"error": message}`` plus ``"fields": {name: [messages]}`` when given."""
    body = {"error": str(message)}
    if fields is not None:
        body["fields"] = fields
    return json_response(body, status=status)


def read_only(view):
    """GET and HEAD only, answering a JSON 405 for any other method.

    CSRF-exempt so that a stray POST gets that JSON 405 rather than an HTML 403: no view
    wrapped by it changes anything.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = json_error(_("Method not allowed: this API is read-only."), 405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapper
