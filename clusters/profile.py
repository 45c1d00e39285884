"""A cluster profile as one plain, JSON-able dict: what import/export, history and revert share.

``snapshot(cluster)`` reads a profile from the database; ``validate(profile, ...)`` checks
one against the model (``clean_fields`` and the check constraints, plus known state codes
and sector slugs); ``apply(cluster, profile, ...)`` writes one back, sectors, other names
and labels included. ``to_cell``/``from_cell`` turn each field into a spreadsheet cell and
back, the format of the CSV/XLSX files (see README "Curation").
"""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from clusters.models import Cluster, ClusterName, QualityLabel, Sector, State

# The cluster's own fields in the profile, in file-column order (slug is the natural key).
FIELDS = [
    "slug", "name", "acronym", "state", "sectors", "sector_label", "website", "website_kind",
    "description", "members", "members_qualifier", "companies", "companies_qualifier",
    "founded_year", "exports_usd_millions", "figures_note",
    "is_formally_organised", "source", "last_verified", "is_published",
    # Provided by the cluster's managers (clusters.provided), beside the briefing's values.
    "provided_description_es", "provided_description_en", "provided_offers", "provided_seeks",
    "provided_members", "provided_companies", "provided_figures_year", "provided_website",
    "provided_contact", "logo", "provided_on",
]  # fmt: skip
COLUMNS = [*FIELDS, "other_names", "labels"]
INTEGERS = {
    "members", "companies", "founded_year",
    "provided_members", "provided_companies", "provided_figures_year",
}  # fmt: skip
BOOLEANS = {"is_formally_organised", "is_published"}
LABEL_FIELDS = ["level", "is_valid", "listed_name", "sector_label", "validity_note", "source"]
LABEL_PARTS = ["level", "status", "listed_name", "sector_label", "validity_note", "source"]
YES, NO = {"yes", "true", "1", "y", "sí", "si"}, {"no", "false", "0", "n"}


def empty_profile() -> dict:
    """A new cluster's profile before a file or form fills it (the model's defaults)."""
    profile = {name: "" for name in FIELDS}
    profile |= {name: None for name in (*INTEGERS, "exports_usd_millions", "last_verified")}
    profile |= {"state": None, "sectors": [], "other_names": [], "labels": []}
    profile |= {"is_formally_organised": False, "is_published": True, "provided_on": {}}
    return profile


def profile_queryset(queryset=None):
    """Clusters with everything ``snapshot`` reads, in four queries."""
    queryset = Cluster.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("state")
        .prefetch_related(None)
        .prefetch_related(Prefetch("sectors", Sector.objects.only("slug")), "other_names", "labels")
    )


def snapshot(cluster: Cluster) -> dict:
    profile = {name: getattr(cluster, name) for name in FIELDS if name not in ("state", "sectors")}
    exports, verified = cluster.exports_usd_millions, cluster.last_verified
    profile |= {
        "state": cluster.state.code if cluster.state_id else None,
        "sectors": sorted(sector.slug for sector in cluster.sectors.all()),
        "exports_usd_millions": None if exports is None else str(exports),
        "last_verified": verified.isoformat() if verified else None,
        "logo": cluster.logo.name or "",
        "provided_on": dict(cluster.provided_on or {}),
        "other_names": sorted(
            ({"name": n.name, "source": n.source} for n in cluster.other_names.all()),
            key=lambda n: n["name"],
        ),
        "labels": sorted(
            (
                {name: getattr(label, name) for name in LABEL_FIELDS}
                for label in cluster.labels.all()
            ),
            key=lambda label: label["level"],
        ),
    }
    return profile


def snapshots(cluster_ids) -> dict[int, dict]:
    return {c.pk: snapshot(c) for c in profile_queryset(Cluster.objects.filter(pk__in=cluster_ids))}


def _same(field: str, old, new) -> bool:
    if field == "exports_usd_millions" and old is not None and new is not None:
        return Decimal(old) == Decimal(new)
    return old == new


def diff(before: dict | None, after: dict) -> dict:
    """``{field: [before, after]}`` for every column that differs."""
    if before is None:
        return {}
    return {
        field: [before.get(field), after.get(field)]
        for field in COLUMNS
        if not _same(field, before.get(field), after.get(field))
    }


# Cells ---------------------------------------------------------------------------------


def to_cell(field: str, value) -> str:
    """The text a profile value takes in a CSV cell (and in a diff on screen)."""
    if value is None:
        return ""
    if field in BOOLEANS:
        return "yes" if value else "no"
    if field == "provided_on":
        return json.dumps(value, sort_keys=True) if value else ""
    if field == "sectors":
        return ", ".join(value)
    if field == "other_names":
        return "\n".join(f"{n['name']} [{n['source']}]" for n in value)
    if field == "labels":
        return "\n".join(
            " | ".join(
                ("valid" if label["is_valid"] else "lapsed") if part == "status" else label[part]
                for part in LABEL_PARTS
            )
            for label in value
        )
    return str(value)


def _text(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return "" if raw is None else str(raw).strip()


def from_cell(field: str, raw, *, default_source: str = ""):
    """A cell (text, or a number/date from XLSX) as a profile value; ValueError says why."""
    if field in INTEGERS:
        text = _text(raw)
        if not text:
            return None
        if not text.lstrip("-").isdigit():
            raise ValueError(f"{text!r} is not a whole number")
        if int(text) < 0:
            raise ValueError("must not be negative")
        return int(text)
    if field == "exports_usd_millions":
        text = _text(raw)
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"{text!r} is not a number") from exc
        if not number.is_finite() or number < 0:
            raise ValueError("must be a number, not negative")
        return format(number, "f")
    if field == "last_verified":
        if isinstance(raw, datetime.datetime | datetime.date):
            return (raw.date() if isinstance(raw, datetime.datetime) else raw).isoformat()
        text = _text(raw)
        try:
            return datetime.date.fromisoformat(text).isoformat() if text else None
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from exc
    text = _text(raw)
    if field == "provided_on":
        return _parse_provided_on(text)
    if field in BOOLEANS:
        if text.lower() in YES | NO:
            return text.lower() in YES
        raise ValueError(f"{text!r}: enter yes or no")
    if field == "state":
        return text.upper() or None
    if field == "sectors":
        parts = text.replace(";", ",").replace("\n", ",").split(",")
        return sorted({part.strip() for part in parts if part.strip()})
    if field == "other_names":
        return _parse_names(text, default_source)
    if field == "labels":
        return _parse_labels(text, default_source)
    return text


def _parse_provided_on(text: str) -> dict:
    """``{"part": "YYYY-MM-DD", ...}`` as JSON, or empty."""
    if not text:
        return {}
    try:
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError
        return {
            str(part): datetime.date.fromisoformat(day).isoformat() for part, day in value.items()
        }
    except (ValueError, TypeError) as exc:
        raise ValueError('must be JSON like {"provided_offers": "2026-12-01"}') from exc


def _parse_names(text: str, default_source: str) -> list[dict]:
    names = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        name, source = line, default_source
        if line.endswith("]") and " [" in line:
            name, source = line[:-1].rsplit(" [", 1)
        if any(n["name"] == name.strip() for n in names):
            raise ValueError(f"other name {name.strip()!r} given twice")
        names.append({"name": name.strip(), "source": source.strip()})
    return sorted(names, key=lambda n: n["name"])


def _parse_labels(text: str, default_source: str) -> list[dict]:
    labels = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > len(LABEL_PARTS):
            raise ValueError(f"label {line!r}: at most {len(LABEL_PARTS)} parts, split by |")
        values = dict(zip(LABEL_PARTS, parts + [""] * (len(LABEL_PARTS) - len(parts)), strict=True))
        level, status = values["level"].lower(), values["status"].lower() or "valid"
        if level not in QualityLabel.Level.values:
            raise ValueError(f"label {line!r}: level must be gold, silver or bronze")
        if status not in ("valid", "lapsed"):
            raise ValueError(f"label {line!r}: status must be valid or lapsed")
        if any(label["level"] == level for label in labels):
            raise ValueError(f"two {level} labels")
        values |= {"level": level, "source": values["source"] or default_source}
        labels.append(
            {name: values[name] for name in LABEL_FIELDS if name != "is_valid"}
            | {"is_valid": status == "valid"}
        )
    return sorted(labels, key=lambda label: label["level"])


# Validation and writing ------------------------------------------------------------------


@dataclass
class Lookups:
    """States by code and sectors by slug, loaded once per import or revert."""

    states: dict[str, State]
    sectors: dict[str, Sector]

    @classmethod
    def load(cls) -> "Lookups":
        return cls(
            states={state.code: state for state in State.objects.all()},
            sectors={sector.slug: sector for sector in Sector.objects.all()},
        )


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{field}: {message}" if field != "__all__" else message
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    return list(exc.messages)


def _assign(cluster: Cluster, profile: dict, lookups: Lookups) -> None:
    for name in FIELDS:
        if name in ("state", "sectors"):
            continue
        value = profile[name]
        if name == "exports_usd_millions" and value is not None:
            value = Decimal(value)
        if name == "last_verified" and value is not None:
            value = datetime.date.fromisoformat(value)
        setattr(cluster, name, value)
    cluster.state = lookups.states.get(profile["state"]) if profile["state"] else None


def validate(profile: dict, lookups: Lookups, *, instance=None, unique: bool = False) -> list:
    """Every reason the profile cannot be saved, as readable strings (empty when it can).

    ``unique`` also checks slug and (name, state) against the database; an import checks
    those across the whole file instead.
    """
    errors = []
    if profile["state"] and profile["state"] not in lookups.states:
        errors.append(f"state: unknown state code {profile['state']!r}")
    unknown = [slug for slug in profile["sectors"] if slug not in lookups.sectors]
    if unknown:
        errors.append(f"sectors: unknown sector {', '.join(map(repr, unknown))}")
    cluster = Cluster(pk=instance.pk if instance else None)
    cluster._state.adding = instance is None  # unique checks then leave the record itself out
    _assign(cluster, profile, lookups)
    checks = [(cluster, ["sectors"], "")]
    checks += [(ClusterName(**n), ["cluster"], "other_names:") for n in profile["other_names"]]
    checks += [(QualityLabel(**lbl), ["cluster"], "labels:") for lbl in profile["labels"]]
    for obj, exclude, prefix in checks:
        try:
            obj.clean_fields(exclude=exclude)
            if unique:
                obj.validate_unique(exclude=exclude)
            obj.validate_constraints(exclude=[*exclude, *([] if unique else ["name", "cluster"])])
        except ValidationError as exc:
            errors += [f"{prefix} {m}".strip() for m in _messages(exc)]
    return errors


def apply(cluster: Cluster, profile: dict, lookups: Lookups) -> Cluster:
    """Write a validated profile: fields, sectors, other names and labels."""
    getattr(cluster, "_prefetched_objects_cache", {}).clear()
    _assign(cluster, profile, lookups)
    cluster.save()
    cluster.sectors.set([lookups.sectors[slug] for slug in profile["sectors"]])
    names = {n["name"]: n["source"] for n in profile["other_names"]}
    cluster.other_names.exclude(name__in=names).delete()
    for name, source in names.items():
        ClusterName.objects.update_or_create(
            cluster=cluster, name=name, defaults={"source": source}
        )
    labels = {label["level"]: label for label in profile["labels"]}
    cluster.labels.exclude(level__in=labels).delete()
    for level, label in labels.items():
        QualityLabel.objects.update_or_create(cluster=cluster, level=level, defaults=label)
    cluster.refresh_search_text()
    return cluster
