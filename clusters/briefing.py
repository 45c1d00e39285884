"""Load the briefing's data (``fixtures/briefing.json``) into the database.

The file is checked whole before anything is written, and written in one transaction:
a corrupt or partial file changes nothing. Records are matched by natural key (state code,
sector slug, cluster slug), so loading twice gives the same rows. Clusters an admin has
curated are left alone unless ``force`` is given.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from clusters.models import (
    Cluster,
    ClusterName,
    Ecosystem,
    EnergyProjection,
    Programme,
    QualityLabel,
    Sector,
    SectorFact,
    SectorLabel,
    SectorStronghold,
    State,
)
from clusters.text import fold

DEFAULT_PATH = Path(settings.BASE_DIR) / "fixtures" / "briefing.json"
SECTIONS = ("states", "ecosystems", "sectors", "sector_labels", "clusters", "strongholds")
CLUSTER_KEYS = {
    "slug",
    "name",
    "acronym",
    "state",
    "sectors",
    "sector_label",
    "website",
    "description",
    "members",
    "companies",
    "founded_year",
    "exports_usd_millions",
    "figures_note",
    "formally_organised",
    "source",
    "other_names",
    "labels",
}
# Optional: only the records the briefing words so carry them.
CLUSTER_OPTIONAL_KEYS = {
    "website_kind": Cluster.WebsiteKind.values,
    "members_qualifier": Cluster.Qualifier.values,
    "companies_qualifier": Cluster.Qualifier.values,
}


class BriefingError(Exception):
    """The briefing file cannot be loaded; the message says why, in one line."""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_curated: list[str] = field(default_factory=list)
    # The clusters the load created or updated, by id.
    changed_cluster_ids: list[int] = field(default_factory=list)
    # Sectors whose strongholds (Table 2) or ecosystems differ from what they were before the
    # load, and every sector sharing an ecosystem with one of them before or after: an
    # interest choosing any of them may score differently now.
    rules_changed_sectors: frozenset[str] = frozenset()

    @property
    def rules_changed(self) -> bool:
        return bool(self.rules_changed_sectors)

    @property
    def changes_matching(self) -> bool:
        """Whether suggestions computed before the load may differ from what it gives."""
        return bool(self.changed_cluster_ids or self.rules_changed_sectors)

    def __str__(self):
        text = (
            f"clusters: {self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        )
        if self.skipped_curated:
            text += f", {len(self.skipped_curated)} curated left alone (use --force to overwrite)"
        if self.rules_changed:
            text += "; sector strongholds or ecosystems changed"
        return text


def read_briefing(path: Path = DEFAULT_PATH) -> dict:
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BriefingError(f"{path}: cannot read file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise BriefingError(f"{path}: not UTF-8 text") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BriefingError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    validate_briefing(data)
    return data


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise BriefingError(message)


def validate_briefing(data) -> None:
    """Check structure, references and the briefing's own counts; raise BriefingError."""
    _require(isinstance(data, dict), "briefing file must hold a JSON object")
    for section in SECTIONS:
        _require(isinstance(data.get(section), list), f"missing or malformed section '{section}'")
    state_codes = {s.get("code") for s in data["states"] if isinstance(s, dict)}
    sector_slugs = {s.get("slug") for s in data["sectors"] if isinstance(s, dict)}
    ecosystem_slugs = {e.get("slug") for e in data["ecosystems"] if isinstance(e, dict)}
    _require(len(state_codes) == 32, f"expected 32 states, found {len(state_codes)}")
    for sector in data["sectors"]:
        unknown = set(sector.get("ecosystems", [])) - ecosystem_slugs
        _require(
            not unknown, f"sector {sector.get('slug')!r}: unknown ecosystems {sorted(unknown)}"
        )
    for label in data["sector_labels"]:
        unknown = set(label.get("sectors", [])) - sector_slugs
        _require(
            not unknown, f"sector label {label.get('label')!r}: unknown sectors {sorted(unknown)}"
        )
    slugs, names = set(), set()
    for position, cluster in enumerate(data["clusters"], start=1):
        _require(isinstance(cluster, dict), f"cluster #{position}: not an object")
        where = f"cluster #{position} ({cluster.get('slug', '?')})"
        missing = CLUSTER_KEYS - cluster.keys()
        _require(not missing, f"{where}: missing fields {sorted(missing)}")
        _require(bool(cluster["name"]) and bool(cluster["slug"]), f"{where}: empty name or slug")
        _require(cluster["slug"] not in slugs, f"{where}: duplicate slug")
        _require(
            (cluster["name"], cluster["state"]) not in names,
            f"{where}: another cluster has the same name in the same state",
        )
        slugs.add(cluster["slug"])
        names.add((cluster["name"], cluster["state"]))
        _require(
            cluster["state"] is None or cluster["state"] in state_codes,
            f"{where}: unknown state {cluster['state']!r}",
        )
        unknown = set(cluster["sectors"]) - sector_slugs
        _require(not unknown, f"{where}: unknown sectors {sorted(unknown)}")
        for label in cluster["labels"]:
            _require(
                label.get("level") in QualityLabel.Level.values,
                f"{where}: unknown label level {label.get('level')!r}",
            )
        for key, allowed in CLUSTER_OPTIONAL_KEYS.items():
            _require(
                cluster.get(key, "") in ["", *allowed],
                f"{where}: {key} must be one of {sorted(allowed)}, not {cluster.get(key)!r}",
            )
        for number in ("members", "companies", "founded_year"):
            value = cluster[number]
            _require(
                value is None or (isinstance(value, int) and value >= 0),
                f"{where}: {number} must be a non-negative integer",
            )
        if cluster["exports_usd_millions"] is not None:
            try:
                Decimal(cluster["exports_usd_millions"])
            except (InvalidOperation, TypeError) as exc:
                raise BriefingError(f"{where}: exports_usd_millions is not a number") from exc
    for stronghold in data["strongholds"]:
        _require(
            stronghold.get("sector") in sector_slugs,
            f"Table 2: unknown sector {stronghold.get('sector')!r}",
        )
        unknown = set(stronghold.get("states", [])) - state_codes
        _require(not unknown, f"Table 2: unknown states {sorted(unknown)}")
    for row in data.get("energy_projections", []):
        where = f"Table 1 row {row.get('energy_source')!r}"
        _require(
            row.get("sector") in sector_slugs, f"{where}: unknown sector {row.get('sector')!r}"
        )
        for number in ("mw_2018", "mw_2024", "mw_2028", "share_percent"):
            value = row.get(number)
            _require(
                isinstance(value, int) and value >= 0, f"{where}: {number} must be a whole number"
            )
    _check_expected_counts(data)


def _check_expected_counts(data) -> None:
    expected = data.get("expected", {})
    per_state = expected.get("table3_counts")
    if per_state:
        found: dict[str, int] = {}
        for cluster in data["clusters"]:
            if cluster["formally_organised"]:
                found[cluster["state"]] = found.get(cluster["state"], 0) + 1
        _require(
            found == per_state,
            "Table 3 clusters do not agree with its 'Number of clusters' column: "
            + ", ".join(
                f"{code} {found.get(code, 0)}/{count}"
                for code, count in sorted(per_state.items())
                if found.get(code, 0) != count
            ),
        )


@transaction.atomic
def load_briefing(data: dict, *, force: bool = False) -> LoadReport:
    rules_before = _strongholds_and_ecosystems()
    _load_states(data["states"])
    _load_taxonomy(data["ecosystems"], data["sectors"], data["sector_labels"])
    report = _load_clusters(data["clusters"], force=force)
    _load_strongholds(data["strongholds"])
    _load_facts(data.get("facts", []))
    _load_programmes(data.get("programmes", []))
    _load_energy_projections(data.get("energy_projections", []))
    report.rules_changed_sectors = _ruled_differently(rules_before, _strongholds_and_ecosystems())
    return report


def _strongholds_and_ecosystems() -> tuple[frozenset, frozenset]:
    """Every (sector, state) stronghold and (sector, ecosystem) pair: what scoring reads of
    the taxonomy (``clusters.admin_taxonomy.scoring_rules`` is the same for one sector)."""
    return (
        frozenset(SectorStronghold.objects.values_list("sector__slug", "state__code")),
        frozenset(Sector.ecosystems.through.objects.values_list("sector__slug", "ecosystem__slug")),
    )


def _ruled_differently(before: tuple, after: tuple) -> frozenset[str]:
    """The sectors whose strongholds or ecosystems differ between ``before`` and ``after``
    (``_strongholds_and_ecosystems``), and every sector sharing an ecosystem with one of
    them in either."""
    changed = {sector for old, new in zip(before, after, strict=True) for sector, _ in old ^ new}
    memberships = before[1] | after[1]
    ecosystems = {ecosystem for sector, ecosystem in memberships if sector in changed}
    sharing = {sector for sector, ecosystem in memberships if ecosystem in ecosystems}
    return frozenset(changed | sharing)


def _load_states(rows) -> None:
    for row in rows:
        State.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "briefing_name": row.get("briefing_name", ""),
                "slug": slugify(row["name"]),
                "source": row["source"],
            },
        )


def _load_taxonomy(ecosystem_rows, sector_rows, label_rows) -> None:
    ecosystems = {}
    for row in ecosystem_rows:
        ecosystems[row["slug"]], _ = Ecosystem.objects.update_or_create(
            slug=row["slug"], defaults={"name": row["name"]}
        )
    sectors = {}
    for row in sector_rows:
        sector, _ = Sector.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name_en": row["name_en"],
                "name_es": row["name_es"],
                "is_promexico_priority": row["is_promexico_priority"],
                "source": row["source"],
            },
        )
        sector.ecosystems.set([ecosystems[slug] for slug in row["ecosystems"]])
        sectors[row["slug"]] = sector
    for row in label_rows:
        label, _ = SectorLabel.objects.update_or_create(
            label=row["label"], defaults={"source": row["source"]}
        )
        label.sectors.set([sectors[slug] for slug in row["sectors"]])


def _cluster_fields(row, states) -> dict:
    exports = row["exports_usd_millions"]
    return {
        "name": row["name"],
        "acronym": row["acronym"],
        "state": states.get(row["state"]),
        "sector_label": row["sector_label"],
        "website": row["website"],
        "website_kind": row.get("website_kind", ""),
        "description": row["description"],
        "members": row["members"],
        "companies": row["companies"],
        "founded_year": row["founded_year"],
        "exports_usd_millions": Decimal(exports) if exports is not None else None,
        "members_qualifier": row.get("members_qualifier", ""),
        "companies_qualifier": row.get("companies_qualifier", ""),
        "figures_note": row["figures_note"],
        "is_formally_organised": row["formally_organised"],
        "source": row["source"],
    }


def _load_clusters(rows, *, force: bool) -> LoadReport:
    report = LoadReport()
    states = {state.code: state for state in State.objects.all()}
    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    existing = {cluster.slug: cluster for cluster in Cluster.objects.all()}
    new_rows = []
    for row in rows:
        fields = _cluster_fields(row, states)
        cluster = existing.get(row["slug"])
        if cluster is None:
            new_rows.append((Cluster(slug=row["slug"], **fields), row))
            continue
        if cluster.is_curated and not force:
            report.skipped_curated.append(cluster.slug)
            continue
        changed = any(getattr(cluster, name) != value for name, value in fields.items())
        if not cluster.is_curated and not changed and not _related_differ(cluster, row):
            report.unchanged += 1
            continue
        for name, value in fields.items():
            setattr(cluster, name, value)
        cluster.is_curated = False
        _check_fields(cluster)
        cluster.save()
        cluster.sectors.set([sectors[slug] for slug in row["sectors"]])
        _sync_names(cluster, row["other_names"])
        _sync_labels(cluster, row["labels"])
        cluster.refresh_search_text()
        report.updated += 1
        report.changed_cluster_ids.append(cluster.pk)
    report.changed_cluster_ids += _create_clusters(new_rows, sectors)
    report.created = len(new_rows)
    return report


def _create_clusters(new_rows, sectors) -> list[int]:
    """Insert new clusters and their sectors, names and labels in a few bulk queries; their
    ids."""
    for cluster, row in new_rows:
        _check_fields(cluster)
        names = [cluster.name, cluster.acronym, *(n["name"] for n in row["other_names"])]
        cluster.search_text = fold(" | ".join(name for name in names if name))
    created = Cluster.objects.bulk_create([cluster for cluster, _row in new_rows])
    through = Cluster.sectors.through
    through.objects.bulk_create(
        through(cluster_id=cluster.pk, sector_id=sectors[slug].pk)
        for cluster, (_c, row) in zip(created, new_rows, strict=True)
        for slug in row["sectors"]
    )
    ClusterName.objects.bulk_create(
        ClusterName(cluster=cluster, name=name["name"], source=name["source"])
        for cluster, (_c, row) in zip(created, new_rows, strict=True)
        for name in row["other_names"]
    )
    QualityLabel.objects.bulk_create(
        QualityLabel(cluster=cluster, **_label_fields(label))
        for cluster, (_c, row) in zip(created, new_rows, strict=True)
        for label in row["labels"]
    )
    return [cluster.pk for cluster in created]


def _check_fields(cluster: Cluster) -> None:
    """Field validation (lengths, URL, ranges). Uniqueness was checked on the whole file."""
    try:
        cluster.full_clean(exclude=["sectors"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise BriefingError(f"cluster {cluster.slug!r}: {_one_line(exc)}") from exc


def _related_differ(cluster, row) -> bool:
    sectors = set(cluster.sectors.values_list("slug", flat=True))
    names = set(cluster.other_names.values_list("name", flat=True))
    labels = set(cluster.labels.values_list("level", "is_valid"))
    return (
        sectors != set(row["sectors"])
        or names != {n["name"] for n in row["other_names"]}
        or labels != {(label["level"], label["valid"]) for label in row["labels"]}
    )


def _one_line(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def _sync_names(cluster: Cluster, rows) -> None:
    wanted = {row["name"]: row["source"] for row in rows}
    cluster.other_names.exclude(name__in=wanted).delete()
    for name, source in wanted.items():
        ClusterName.objects.update_or_create(
            cluster=cluster, name=name, defaults={"source": source}
        )


def _sync_labels(cluster: Cluster, rows) -> None:
    wanted = {row["level"]: row for row in rows}
    cluster.labels.exclude(level__in=wanted).delete()
    for level, row in wanted.items():
        QualityLabel.objects.update_or_create(
            cluster=cluster,
            level=level,
            defaults=_label_fields(row),
        )


def _label_fields(row) -> dict:
    return {
        "level": row["level"],
        "is_valid": row["valid"],
        "validity_note": row["validity_note"],
        "listed_name": row["listed_name"],
        "sector_label": row["sector_label"],
        "source": row["source"],
    }


def _load_strongholds(rows) -> None:
    for row in rows:
        sector = Sector.objects.get(slug=row["sector"])
        codes = row["states"]
        sector.strongholds.exclude(state__code__in=codes).delete()
        for position, code in enumerate(codes, start=1):
            SectorStronghold.objects.update_or_create(
                sector=sector,
                state=State.objects.get(code=code),
                defaults={"position": position, "source": row["source"]},
            )


def _load_facts(rows) -> None:
    positions: dict[str, int] = {}
    for row in rows:
        position = positions[row["sector"]] = positions.get(row["sector"], 0) + 1
        SectorFact.objects.update_or_create(
            sector=Sector.objects.get(slug=row["sector"]),
            key=row["key"],
            defaults={"text": row["text"], "position": position, "source": row["source"]},
        )


def _load_programmes(rows) -> None:
    for position, row in enumerate(rows, start=1):
        Programme.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "relation": row["relation"],
                "field": row["field"],
                "website": row["website"],
                "position": position,
                "source": row["source"],
            },
        )


def _load_energy_projections(rows) -> None:
    """Table 1, row by row as printed (its total included), keyed by the energy source."""
    for position, row in enumerate(rows, start=1):
        EnergyProjection.objects.update_or_create(
            energy_source=row["energy_source"],
            defaults={
                "sector": Sector.objects.get(slug=row["sector"]),
                "mw_2018": row["mw_2018"],
                "mw_2024": row["mw_2024"],
                "mw_2028": row["mw_2028"],
                "share_percent": row["share_percent"],
                "is_total": row["is_total"],
                "position": position,
                "source": row["source"],
            },
        )
