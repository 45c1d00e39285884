"""Small factories for matchmaking tests. Sectors, states and clusters come from the
``briefing`` fixture where a test needs real ones; these make minimal ones otherwise."""

from itertools import count

from django.contrib.auth import get_user_model
from django.utils import timezone

from clusters.models import Cluster, Sector, State
from matchmaking import engine
from matchmaking.models import PRIVACY_NOTICE_VERSION, Interest, Organisation, Suggestion

PASSWORD = "a-long-enough-passphrase"
_numbers = count(1)


def make_user(email: str | None = None, *, password: str = PASSWORD, **fields):
    email = (email or f"user{next(_numbers)}@example.eu").lower()
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, **fields
    )


def make_organisation(user=None, **fields) -> Organisation:
    defaults = {
        "name": f"Organisation {next(_numbers)}",
        "country": "DE",
        "kind": Organisation.Kind.CLUSTER,
        "consent_at": timezone.now(),
        "consent_version": PRIVACY_NOTICE_VERSION,
    }
    return Organisation.objects.create(user=user or make_user(), **(defaults | fields))


def make_sector(slug: str) -> Sector:
    sector, _ = Sector.objects.get_or_create(
        slug=slug,
        defaults={"name_en": slug.title(), "name_es": f"{slug.title()} (es)", "source": "test"},
    )
    return sector


def make_state(code: str = "MX-NLE", name: str = "Nuevo León") -> State:
    state, _ = State.objects.get_or_create(
        code=code, defaults={"name": name, "slug": code.lower(), "source": "test"}
    )
    return state


def make_cluster(*, sectors=("aerospace",), state=None, **fields) -> Cluster:
    number = next(_numbers)
    defaults = {"slug": f"cluster-{number}", "name": f"Cluster {number}", "source": "test"}
    cluster = Cluster.objects.create(state=state, **(defaults | fields))
    cluster.sectors.set([make_sector(slug) for slug in sectors])
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
    """An interest; ``matched`` (default) makes it look already scored, not computing."""
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
    interest.sectors.set([make_sector(slug) for slug in sectors])
    interest.states.set(
        [State.objects.get(code=code) if isinstance(code, str) else code for code in states]
    )
    return interest


def sector_exact_reason(slug: str = "aerospace", points: int = 40) -> dict:
    return {"code": "sector_exact", "params": {"sector": slug}, "points": points}


def make_suggestion(interest=None, cluster=None, *, score: int = 50, **fields) -> Suggestion:
    interest = interest or make_interest()
    cluster = cluster or make_cluster()
    defaults = {
        "score": score,
        "reasons": [sector_exact_reason()],
        "engine_version": engine.ENGINE_VERSION,
        "computed_at": timezone.now(),
    }
    return Suggestion.objects.create(interest=interest, cluster=cluster, **(defaults | fields))


def capture_enqueues(monkeypatch) -> list[tuple[str, tuple]]:
    """Record every task sent through ``matchmaking.queue`` instead of reaching a broker:
    a list of ``(task name, args)``, filled when the on-commit callbacks run."""
    from matchmaking import tasks

    sent: list[tuple[str, tuple]] = []
    for task in (tasks.match_interest, tasks.match_interests, tasks.match_for_cluster):

        def apply_async(args=(), kwargs=None, _name=task.name, **options):
            sent.append((_name, tuple(args)))

        monkeypatch.setattr(task, "apply_async", apply_async)
    return sent


def make_manager(cluster, user=None, **fields):
    """An approved claim: ``user`` (a new one by default) manages ``cluster``."""
    from clusters.models import Claim

    number = next(_numbers)
    defaults = {
        "name": f"Manager {number}",
        "role": "Director",
        "work_email": f"manager{number}@cluster.mx",
        "consent_at": timezone.now(),
        "consent_version": PRIVACY_NOTICE_VERSION,
        "status": Claim.Status.APPROVED,
        "email_verified_at": timezone.now(),
    }
    return Claim.objects.create(
        user=user or make_user(f"manager{number}@cluster.mx"),
        cluster=cluster,
        **(defaults | fields),
    )


def make_introduction(organisation=None, cluster=None, **fields):
    """An open request from ``organisation`` to ``cluster``, stored directly."""
    from datetime import timedelta

    from matchmaking.models import Introduction

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
