"""What a cluster's managers provide about it, beside the briefing's own record.

The managers' values live in the ``provided_*`` fields and ``logo``, never over the
briefing's (``description``, ``website``, ``members``...), which ``load_briefing`` keeps
writing; ``provided_on`` dates each part. Every change is recorded in the profile's history
(``clusters.history``), with the manager as its editor, so staff can revert it.

The matching engine reads only the briefing's and staff's fields: what a cluster says of
itself is shown on its page, not scored (see docs/claims.md).
"""

import datetime
import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from clusters import profile
from clusters.history import record_changes
from clusters.models import Claim, Cluster, ClusterRevision

# What a manager edits, in the form's order (the logo apart: it is a file).
EDITABLE = [
    "provided_description_es", "provided_description_en", "provided_offers", "provided_seeks",
    "provided_members", "provided_companies", "provided_figures_year", "provided_website",
    "provided_contact",
]  # fmt: skip
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
LOGO_MAX_PIXELS = 4000 * 4000


def get_cluster_for_manager(user, slug: str) -> Cluster | None:
    """The published-or-not cluster ``slug`` if ``user`` manages it, else None (a 404)."""
    if not user.is_authenticated:
        return None
    return (
        Cluster.objects.filter(slug=slug, claims__in=Claim.objects.approved().filter(user=user))
        .select_related("state")
        .first()
    )


def provided_dates(cluster: Cluster) -> dict[str, datetime.date]:
    """``{part: date}`` for each part the cluster provided and still holds ("description_es",
    "offers", "logo"...), the part being the field's name without "provided_"."""
    dates = {}
    for field, day in (cluster.provided_on or {}).items():
        value = getattr(cluster, field, None)
        if value in (None, "") or not hasattr(cluster, field):
            continue
        try:
            dates[field.removeprefix("provided_")] = datetime.date.fromisoformat(day)
        except (TypeError, ValueError):
            continue
    return dates


def description_for(cluster: Cluster, language: str) -> tuple[str, str]:
    """The provided description in ``language`` if there is one, else in the other language:
    ``(text, part)`` with part "description_es"/"description_en", or ``("", "")``."""
    order = ["es", "en"] if (language or "").startswith("es") else ["en", "es"]
    for code in order:
        text = getattr(cluster, f"provided_description_{code}")
        if text:
            return text, f"description_{code}"
    return "", ""


def check_logo(upload) -> str:
    """The file extension for an uploaded logo, or ValidationError: a PNG, JPEG or WebP image
    of at most ``LOGO_MAX_BYTES``, whatever its name or declared type says."""
    if upload.size > settings.LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is too large: at most %(size)d kB.")
            % {"size": settings.LOGO_MAX_BYTES // 1024},
            code="too_large",
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind, width, height = None, 0, 0
    if kind not in LOGO_FORMATS:
        raise ValidationError(_("The logo must be a PNG, JPEG or WebP image."), code="type")
    if width * height > LOGO_MAX_PIXELS:
        raise ValidationError(
            _("The logo is too large: at most 4000 × 4000 pixels."), code="pixels"
        )
    return LOGO_FORMATS[kind]


@transaction.atomic
def update_profile(
    *, cluster: Cluster, user, values: dict, logo=None, remove_logo: bool = False,
    language: str = "",
) -> list[str]:  # fmt: skip
    """Write a manager's values (``EDITABLE`` fields; ``logo`` an uploaded file checked by
    ``check_logo``), date the parts that changed, record the revision; return those fields."""
    cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
    before = profile.snapshots([cluster.pk])[cluster.pk]
    changed = [field for field in EDITABLE if values[field] != getattr(cluster, field)]
    for field in changed:
        setattr(cluster, field, values[field])
    if logo is not None:
        extension = check_logo(logo)
        cluster.logo.save(f"{cluster.slug}.{extension}", logo, save=False)
        changed.append("logo")
    elif remove_logo and cluster.logo:
        cluster.logo = ""  # the file stays: an earlier version may be restored
        changed.append("logo")
    if changed:
        today = timezone.localdate().isoformat()
        cluster.provided_on = {**cluster.provided_on, **dict.fromkeys(changed, today)}
        cluster.save()
        record_changes({cluster.pk: before}, user=user, action=ClusterRevision.Action.MANAGER)
    if language:
        Claim.objects.approved().filter(cluster=cluster, user=user).update(language=language)
    return changed


@transaction.atomic
def confirm_still_accurate(*, cluster: Cluster, user) -> None:
    """The manager says the profile is still accurate: last verified today (in the history)."""
    before = profile.snapshots([cluster.pk])[cluster.pk]
    Cluster.objects.filter(pk=cluster.pk).update(
        last_verified=timezone.localdate(), updated=timezone.now()
    )
    record_changes(
        {cluster.pk: before},
        user=user,
        action=ClusterRevision.Action.MANAGER,
        comment="Confirmed as still accurate by its manager",
    )
