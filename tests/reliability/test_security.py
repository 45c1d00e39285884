"""Personal data: the export holds every personal field, deletion leaves no personal row;
nobody reaches another user's objects through any URL; no secret in the repository."""

import json
import re
import subprocess

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.utils import timezone

from clusters.models import Cluster
from matchmaking import urls as matchmaking_urls
from matchmaking.models import Interest, Organisation, Suggestion
from tests.clusters import test_managers
from tests.factories import (
    PASSWORD,
    make_claim,
    make_cluster,
    make_interest,
    make_organisation,
    make_suggestion,
    make_user,
)
from tests.matchmaking import test_access
from tests.matchmaking.events import test_access as events_access
from tests.realservices import ROOT

# --- "My data" export: every personal field -----------------------------------------------

# Fields the export leaves out on purpose, with the reason. Any other field of these models
# must appear in the export, so a field added later without an export fails here.
NOT_EXPORTED = {
    "auth.User": {
        "id": "internal key",
        "password": "a hash, never shown",
        "username": "the email address, exported as account.email",
        "first_name": "never collected: sign-up asks for none (staff could type one in the admin)",
        "last_name": "never collected: sign-up asks for none (staff could type one in the admin)",
        "is_staff": "an access flag, not data about the person",
        "is_active": "an access flag, not data about the person",
        "is_superuser": "an access flag, not data about the person",
        "groups": "access groups (staff only)",
        "user_permissions": "access rights (staff only)",
        "email": "exported as account.email",
    },
    "matchmaking.Organisation": {
        "id": "internal key",
        "user": "the account, exported as account",
        "is_synthetic": "a load-test flag, always false for a real account",
    },
    "matchmaking.Interest": {
        "organisation": "the organisation it belongs to",
        "matched_version": "the engine version, not about the person",
        "match_floor": "the engine's pruning bound (its N-th score), not about the person",
        "match_floor_cluster": "the cluster holding that bound, not about the person",
        "match_keys": "an index of the exported sectors, states, kinds and description",
    },
    "matchmaking.Suggestion": {
        "id": "internal key",
        "interest": "nested under its interest",
        "created": "when first suggested; computed_at is exported",
    },
    "clusters.Claim": {
        "id": "internal key",
        "user": "the account, exported as account",
        "decided_by": "the staff member who decided: about them, not the claimant",
    },
}
EXPORT_KEYS = {  # where each model's fields are in the export
    "auth.User": ("account",),
    "matchmaking.Organisation": ("organisation",),
    "matchmaking.Interest": ("interests", 0),
    "matchmaking.Suggestion": ("interests", 0, "suggestions", 0),
    "clusters.Claim": ("cluster_claims", 0),
}


def _personal_fields(label: str) -> set[str]:
    model = apps.get_model(label)
    return {
        field.name
        for field in model._meta.get_fields()
        if (field.concrete or field.many_to_many) and not field.auto_created or field.name == "id"
    }


def test_the_export_holds_every_personal_field(client, db, record):
    organisation = make_organisation(
        name="Export Org", website="https://example.eu", description="About us",
        email_verified_at=timezone.now(),
    )  # fmt: skip
    organisation.user.last_login = timezone.now()
    organisation.user.save()
    interest = make_interest(organisation, description="Composites")
    make_suggestion(interest, make_cluster(), status="interested", status_changed_at=timezone.now())
    make_claim(make_cluster(), organisation.user, phone="+52 1", message="Hi", language="es")
    client.force_login(organisation.user)
    data = json.loads(client.get(reverse("matchmaking:export_data")).content)

    missing = {}
    exported = 0
    for label, where in EXPORT_KEYS.items():
        node = data
        for step in where:
            node = node[step]
        fields = _personal_fields(label) - set(NOT_EXPORTED[label])
        absent = sorted(fields - set(node))
        exported += len(fields) - len(absent)
        if absent:
            missing[label] = absent
    assert data["account"]["email"] == organisation.user.email
    assert missing == {}, f"personal fields missing from the export: {missing}"
    left_out = sum(map(len, NOT_EXPORTED.values()))
    record(fields_exported=exported, fields_left_out_with_a_reason=left_out)


# --- Deleting the account: no personal row left -------------------------------------------

MARK = "Zq7-personal-marker"


def _rows_mentioning(text: str) -> list[str]:
    """Every row of every model with a text field containing ``text``."""
    found = []
    for model in apps.get_models():
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.EmailField)
        ]
        for name in fields:
            count = model._default_manager.filter(**{f"{name}__icontains": text}).count()
            if count:
                found.append(f"{model._meta.label}.{name}: {count}")
    return found


def test_deleting_the_account_leaves_no_personal_row(client, db, record):
    user = make_user(f"{MARK.lower()}@example.eu")
    organisation = make_organisation(
        user=user, name=f"{MARK} Org", website=f"https://{MARK.lower()}.example.eu",
        description=f"{MARK} description",
    )  # fmt: skip
    interest = make_interest(organisation, title=f"{MARK} interest", description=f"{MARK} text")
    make_suggestion(interest, status="interested", status_changed_at=timezone.now())
    make_suggestion(interest, status="not_relevant")
    other = make_suggestion()  # someone else's
    claim = make_claim(user=user, name=f"{MARK} name", message=f"{MARK} message")
    assert _rows_mentioning(MARK)  # the scan does find them before

    client.force_login(user)
    response = client.post(reverse("matchmaking:delete_account"), {"password": PASSWORD})

    assert response.status_code == 302
    left = _rows_mentioning(MARK) + _rows_mentioning(MARK.lower())
    assert left == []
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not Organisation.objects.filter(pk=organisation.pk).exists()
    assert not Interest.objects.filter(pk=interest.pk).exists()
    assert Cluster.objects.filter(pk=claim.cluster_id).exists()  # the cluster's, not theirs
    assert not Suggestion.objects.filter(interest_id=interest.pk).exists()
    assert Suggestion.objects.filter(pk=other.pk).exists()  # nobody else's data touched
    record(models_scanned=len(apps.get_models()), personal_rows_left=len(left))


# --- Every URL that takes a parameter is either covered by test_access or public ------------

# URL parameters that name something public (or a signed token), with the reason.
PUBLIC = {
    "clusters:cluster_detail": "a published cluster, by slug",
    "clusters:state_detail": "a Mexican state, by code",
    "clusters:sector_detail": "a sector, by slug",
    "clusters:api_cluster_detail": "a published cluster, by slug",
    "clusters:api_not_found": "any unknown API path: a JSON 404",
    "api_v0_redirect": "any API path before versions: a redirect to the same under /api/v1/",
    "matchmaking:verify_email": "a signed token naming the organisation",
    "clusters:claim_new": "the claim form of a published cluster, by slug",
    "clusters:verify_claim": "a signed token naming the claim and its address",
    "media": "uploaded cluster logos: public images",
    "matchmaking:unsubscribe": "a signed token naming the organisation",
    "matchmaking:introduction_link": "a signed token; then login, and 404 unless a party",
    "matchmaking:request_introduction": "a published cluster, by slug",
    "password_reset_confirm": "Django's signed reset token",
    "set_language": "no parameter in the path",
}
STAFF_ONLY = {"admin"}  # the admin's namespace: staff only (test_throttle checks)


def urls_with_parameters(patterns, prefix="", namespace=None) -> dict[str, str]:
    """{"namespace:name": route} of every URL pattern whose path takes a parameter."""
    found = {}
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            if inner not in STAFF_ONLY:
                route = prefix + str(pattern.pattern)
                found |= urls_with_parameters(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and pattern.pattern.regex.groups:
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            found[name] = prefix + str(pattern.pattern)
    return found


def uncovered_urls(patterns=None) -> set[str]:
    found = urls_with_parameters(get_resolver().url_patterns if patterns is None else patterns)
    owned = {f"matchmaking:{name}" for name in test_access.OWNED_NAMES}
    owned |= {f"clusters:{name}" for name, _method, _data in test_managers.MANAGER_ONLY}
    owned.add("clusters:claim_sent")  # the person's own claim (test_managers checks the 404)
    owned |= events_access.COVERED  # tests/matchmaking/events/test_access.py
    return set(found) - owned - set(PUBLIC)


def test_every_url_with_a_parameter_is_checked_for_ownership_or_public():
    assert uncovered_urls() == set()


def test_a_new_owned_url_without_an_access_test_fails_the_checks(monkeypatch):
    """Prove the guards bite: add URLs to matchmaking.urls as a developer might."""
    added = [
        path("interests/<int:pk>/share/", lambda request, pk: None, name="interest_share"),
        path("notes/<int:note_id>/", lambda request, note_id: None, name="note_detail"),
    ]
    patterns = [*matchmaking_urls.urlpatterns, *added]
    monkeypatch.setattr(matchmaking_urls, "urlpatterns", patterns)
    # test_access's own guard catches the pk URL ...
    assert test_access.pk_patterns() - test_access.OWNED_NAMES == {"interest_share"}
    # ... and this one catches both, whatever the parameter is called.
    site = [path("", include((patterns, "matchmaking")))]
    assert uncovered_urls(site) == {"matchmaking:interest_share", "matchmaking:note_detail"}


# --- No secret in the repository -----------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "SECRET_KEY literal": re.compile(r"""SECRET_KEY\s*=\s*["']"""),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
    "credentials in a URL": re.compile(r"\b[a-z+]+://[^/\s:@'\"]+:([^/\s@'\"]+)@"),
    "assigned password": re.compile(
        r"""\b\w*(PASSWORD|SECRET|TOKEN|API_KEY)\w*\s*[:=]\s*["'][^"'\s]{8,}["']""", re.I
    ),
}
# Test fixtures hold passwords of throwaway accounts and local services.
EXEMPT_IN_TESTS = {"assigned password", "credentials in a URL"}
# Known, harmless matches: (path prefix, text in the matched line).
ALLOWED = [
    ("", "eumx:eumx@127.0.0.1"),  # the local test role of scripts/services.sh, not a secret
    ("scripts/services.sh", "eumx:eumx@"),  # the local test role's password (CI's own server)
    ("README.md", "user:pass@"),  # documentation placeholders
    ("README.md", "eumx:...@"),
    ("docs/CONFIGURATION.md", "user:pass@"),
    ("docs/", "eumx:eumx@"),
    ("matchmaking/services.py", "VERIFY_EMAIL_SALT"),
    ("matchmaking/notifications.py", "UNSUBSCRIBE_SALT"),
]


def _repository_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [name for name in result.stdout.splitlines() if (ROOT / name).is_file()]


def test_no_secret_in_the_repository(record):
    files = _repository_files()
    findings = []
    for name in files:
        try:
            content = (ROOT / name).read_text()
        except (UnicodeDecodeError, OSError):
            continue  # binary
        for number, line in enumerate(content.splitlines(), 1):
            for kind, pattern in SECRET_PATTERNS.items():
                if not pattern.search(line):
                    continue
                if name.startswith("tests/") and kind in EXEMPT_IN_TESTS:
                    continue
                if not any(
                    name.startswith(prefix) and allowed in line for prefix, allowed in ALLOWED
                ):
                    findings.append(f"{name}:{number}: {kind}")
    assert findings == []
    record(files_scanned=len(files), patterns=len(SECRET_PATTERNS), findings=len(findings))


def test_the_secret_scan_finds_a_planted_secret(tmp_path):
    planted = {
        "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
        "SECRET_KEY literal": "SECRET_KEY" + ' = "django-insecure-abc"',
        "credentials in a URL": "redis://admin:hunter22@cache.example.org:6379/0",
        "assigned password": 'EMAIL_HOST_PASSWORD = "s3cr3t-pass"',
    }
    for kind, line in planted.items():
        assert SECRET_PATTERNS[kind].search(line), kind
