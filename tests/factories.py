"""The test suite's factories: small rows with sensible defaults, any field overridable.
Sectors, states and clusters come from the ``briefing`` fixture where a test needs real
ones; these make minimal ones otherwise (or find the briefing's, by slug or code)."""

import datetime as dt
import io
from datetime import timedelta
from itertools import count

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image

from clusters.models import Claim, Cluster, ClusterName, QualityLabel, Sector, State
from matchmaking.events import services as events
from matchmaking.events.models import MeetingBlock
from matchmaking.matching import engine
from matchmaking.models import (
    PRIVACY_NOTICE_VERSION,
    Interest,
    Introduction,
    Organisation,
    Suggestion,
)

PASSWORD = "a-long-enough-passphrase"
_numbers = count(1)


def make_user(email: str | None = None, *, password: str = PASSWORD, **fields):
    email = (email or f"user{next(_numbers)}@example.eu").lower()
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, **fields
    )


def make_organisation(user=None, *, email: str | None = None, **fields) -> Organisation:
    """An organisation (of ``user``, else of a new user with ``email``)."""
    defaults = {
        "name": f"Organisation {next(_numbers)}",
        "country": "DE",
        "kind": Organisation.Kind.CLUSTER,
        "consent_at": timezone.now(),
        "consent_version": PRIVACY_NOTICE_VERSION,
    }
    return Organisation.objects.create(user=user or make_user(email), **(defaults | fields))


# Names the directory tests read back; other slugs get their title (and "(es)").
_SECTOR_NAMES = {"automotive": ("Automotive", "Automotriz")}


def make_sector(slug: str = "automotive", name_en: str = "", name_es: str = "", **fields) -> Sector:
    default_en, default_es = _SECTOR_NAMES.get(slug, (slug.title(), f"{slug.title()} (es)"))
    sector, _ = Sector.objects.get_or_create(
        slug=slug,
        defaults={
            "name_en": name_en or default_en,
            "name_es": name_es or default_es,
            "source": "test",
            **fields,
        },
    )
    return sector


def make_state(code: str = "MX-NLE", name: str = "Nuevo León") -> State:
    state, _ = State.objects.get_or_create(
        code=code, defaults={"name": name, "slug": slugify(name), "source": "test"}
    )
    return state


def _sectors(sectors) -> list[Sector]:
    return [s if isinstance(s, Sector) else make_sector(s) for s in sectors]


def make_cluster(*, name=None, sectors=(), state=None, labels=(), other_names=(), **fields):
    """A cluster in ``sectors`` (slugs or Sectors); ``labels`` holds (level, valid) or
    (level, valid, validity_note) tuples."""
    number = next(_numbers)
    name = name or f"Cluster {number}"
    defaults = {"slug": f"{slugify(name)}-{number}", "source": "test"}
    cluster = Cluster.objects.create(name=name, state=state, **(defaults | fields))
    cluster.sectors.set(_sectors(sectors))
    for level, valid, *note in labels:
        QualityLabel.objects.create(
            cluster=cluster,
            level=level,
            is_valid=valid,
            validity_note=note[0] if note else "",
            source="Table 4 (test)",
        )
    for other in other_names:
        ClusterName.objects.create(cluster=cluster, name=other, source="Section 3.2 (test)")
    if other_names:
        cluster.refresh_search_text()
    return cluster


def make_interest(
    organisation=None,
    *,
    sectors=("aerospace",),
    states=(),
    kinds=("technology",),
    matched=True,
    **fields,
) -> Interest:
    """An interest in ``sectors`` (slugs or Sectors) and ``states`` (codes or States);
    ``matched`` (default) makes it look already scored, not computing."""
    now = timezone.now()
    defaults = {
        "title": f"Interest {next(_numbers)}",
        "kinds": list(kinds),
        "changed_at": now,
        "matched_at": now if matched else None,
        "matched_version": engine.ENGINE_VERSION if matched else None,
        "match_keys": [] if matched else None,
    }
    interest = Interest.objects.create(
        organisation=organisation or make_organisation(), **(defaults | fields)
    )
    interest.sectors.set(_sectors(sectors))
    interest.states.set(
        [State.objects.get(code=code) if isinstance(code, str) else code for code in states]
    )
    return interest


def sector_exact_reason(slug: str = "aerospace", points: int = 40) -> dict:
    return {"code": "sector_exact", "params": {"sector": slug}, "points": points}


def make_suggestion(interest=None, cluster=None, *, score: int = 50, **fields) -> Suggestion:
    interest = interest or make_interest()
    cluster = cluster or make_cluster(sectors=["aerospace"])
    defaults = {
        "score": score,
        "reasons": [sector_exact_reason()],
        "engine_version": engine.ENGINE_VERSION,
        "computed_at": timezone.now(),
    }
    return Suggestion.objects.create(interest=interest, cluster=cluster, **(defaults | fields))


def capture_enqueues(monkeypatch) -> list[tuple[str, tuple]]:
    """Record every task sent through ``matchmaking.enqueue`` instead of reaching a broker:
    a list of ``(task name, args)``, filled when the on-commit callbacks run."""
    from matchmaking import tasks

    sent: list[tuple[str, tuple]] = []
    for task in (tasks.match_interest, tasks.match_interests, tasks.match_for_cluster):

        def apply_async(args=(), kwargs=None, _name=task.name, **options):
            sent.append((_name, tuple(args)))

        monkeypatch.setattr(task, "apply_async", apply_async)
    return sent


def make_claim(cluster=None, user=None, *, status=Claim.Status.APPROVED, **fields) -> Claim:
    """A claim (approved by default: its user manages the cluster)."""
    user = user or make_user(f"person{next(_numbers)}@example.mx")
    defaults = {
        "name": "Ana Pérez",
        "role": "Directora",
        "work_email": user.email,
        "consent_at": timezone.now(),
        "consent_version": "2026-11",
        "status": status,
    }
    cluster = cluster or make_cluster(website="http://www.example-cluster.mx/")
    return Claim.objects.create(user=user, cluster=cluster, **(defaults | fields))


def image_upload(name="logo.png", kind="PNG", size=(40, 20)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (8, 63, 118)).save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def make_manager(cluster, user=None, **fields) -> Claim:
    """An approved, verified claim: ``user`` (a new one by default) manages ``cluster``."""
    number = next(_numbers)
    defaults = {
        "name": f"Manager {number}",
        "role": "Director",
        "email_verified_at": timezone.now(),
        "language": "es",  # a Mexican manager working in Spanish
    }
    return make_claim(
        cluster, user or make_user(f"manager{number}@cluster.mx"), **(defaults | fields)
    )


def make_introduction(organisation=None, cluster=None, **fields) -> Introduction:
    """An open request from ``organisation`` to ``cluster``, stored directly."""
    organisation = organisation or make_organisation()
    now = fields.pop("created", timezone.now())
    defaults = {
        "direction": Introduction.Direction.FROM_ORGANISATION,
        "requested_by": organisation.user,
        "message": "We make turbine blades and look for partners.",
        "kinds": ["technology"],
        "created": now,
        "expires_at": now + timedelta(days=14),
    }
    return Introduction.objects.create(
        organisation=organisation, cluster=cluster or make_cluster(), **(defaults | fields)
    )


# --- Events --------------------------------------------------------------------------------


def make_event(*, days=1, tables="3", start="09:00", end="11:00", **fields):
    """An event in Monterrey from 20 October 2027: ``days`` days, one meeting block a day from
    ``start`` to ``end`` in 30-minute slots, ``tables`` as the staff form takes them."""
    first = dt.date(2027, 10, 20)
    defaults = {
        "name": "EU-Mexico cluster matchmaking 2027",
        "city": "Monterrey",
        "time_zone": "America/Monterrey",
        "registration_deadline": timezone.now() + dt.timedelta(days=30),
    }
    return events.create_event(
        dates=[first + dt.timedelta(days=n) for n in range(days)],
        start=dt.time.fromisoformat(start),
        end=dt.time.fromisoformat(end),
        slot_minutes=30,
        breaks="",
        tables=events.table_names(tables),
        **(defaults | fields),
    )


def _register(event, *, max_meetings, blocks, **side):
    """``side`` is ``organisation=...`` or ``cluster=...``; every block by default."""
    if blocks is None:
        blocks = MeetingBlock.objects.filter(day__event=event)
    return events.register(event=event, blocks=blocks, max_meetings=max_meetings, **side)


def register_organisation(event, organisation=None, *, max_meetings=8, blocks=None):
    organisation = organisation or make_organisation()
    return _register(event, organisation=organisation, max_meetings=max_meetings, blocks=blocks)


def register_cluster(event, cluster=None, *, max_meetings=8, blocks=None):
    cluster = cluster or make_cluster()
    return _register(event, cluster=cluster, max_meetings=max_meetings, blocks=blocks)


def accepted(sender, receiver):
    """A meeting request from ``sender`` to ``receiver``, accepted."""
    request = events.send_request(sender=sender, receiver=receiver, message="Hola")
    events.decide(request=request, accept=True)
    request.refresh_from_db()
    return request
