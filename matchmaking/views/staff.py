"""Staff-only downloads."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from matchmaking import services


def interested_csv_response(suggestions) -> HttpResponse:
    """The interested pairs as a CSV attachment (also used by the admin action)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"interested-pairs-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    services.write_interested_csv(suggestions, response)
    return response


@require_safe
@staff_member_required
def interested_csv(request):
    """Every suggestion an organisation marked interested: the introductions to make."""
    return interested_csv_response(services.interested_pairs())
