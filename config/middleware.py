"""A security header Django 5.2 does not set by itself (django-csp sends the CSP)."""

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Send ``settings.PERMISSIONS_POLICY`` on every response that has none yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
