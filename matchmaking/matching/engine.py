"""The matching engine: plain data in, a score 0-100 and its reasons out.

Never touches the ORM. Callers turn an interest and each candidate cluster into
``InterestFeatures`` / ``ClusterFeatures`` (plus one ``Context`` per run), call ``rank()``
(or ``ClusterIndex.rank``) and store each ``Match`` with ``ENGINE_VERSION``.
``reasons.render()`` turns a ``Reason`` into a sentence in the active language. The scoring
rule is written once, in "Scoring: the one rule" below.

Scoring (all points in ``WEIGHTS`` below, maximum exactly 100):

- sector: an exact shared sector, or else a related one (same EU industrial ecosystem).
  A cluster sharing neither is not a candidate: ``score()`` returns None.
- state: the cluster is in one of the interest's target states ("anywhere" = no states:
  no penalty, just no points). Independently, the cluster's state is a Table-2 stronghold of
  a sector the two share (the exact shared sectors, or the related ones when only those match).
- the best valid ESCA label (lapsed labels are never passed in, so earn nothing).
- known size/maturity (members, companies or founding year).
- text overlap: folded terms (``fold_terms``) shared by the interest's description and the
  cluster's text, so many points per term up to a cap.
- cooperation kind: a flat bonus when at least one chosen kind fits the cluster (``KIND_RULES``).

Every signal only ever adds points, so adding a label or a target state never lowers a score.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache

from matchmaking.matching.terms import fold_terms

ENGINE_VERSION = 1  # bump when scoring changes; stored with each suggestion


@dataclass(frozen=True)
class Weights:
    """Every point the engine can give. The maximum (``maximum``) is exactly 100."""

    # Sector: exact beats related; related counts only when nothing matches exactly.
    sector_exact: int = 40
    sector_related: int = 20
    # The cluster is in one of the interest's target states.
    target_state: int = 20
    # The cluster's state is a Table-2 stronghold of a shared sector (adds to target_state).
    stronghold: int = 10
    # Best valid ESCA label held by the cluster.
    label_gold: int = 8
    label_silver: int = 6
    label_bronze: int = 4
    # Members, companies or founding year known.
    size_known: int = 4
    # Each folded term shared by the description and the cluster's text, up to text_cap.
    text_per_term: int = 2
    text_cap: int = 10
    # At least one of the interest's cooperation kinds fits the cluster (KIND_RULES).
    kind_fit: int = 8

    @property
    def label(self) -> dict[str, int]:
        return {"gold": self.label_gold, "silver": self.label_silver, "bronze": self.label_bronze}

    @property
    def maximum(self) -> int:
        """The best possible total: the strongest option of every signal."""
        return (
            max(self.sector_exact, self.sector_related)
            + self.target_state
            + self.stronghold
            + max(self.label.values())
            + self.size_known
            + self.text_cap
            + self.kind_fit
        )


WEIGHTS = Weights()
TEXT_TERMS_SHOWN = 3  # how many shared terms a text_overlap reason names


class Kind(StrEnum):
    MARKET_ACCESS = "market_access"
    TECHNOLOGY = "technology"
    SUPPLY_CHAIN = "supply_chain"
    INVESTMENT = "investment"
    CLUSTER_COOPERATION = "cluster_cooperation"
    SKILLS = "skills"


class Code:
    """Reason codes, plain strings (stored in suggestions; ``reasons.render`` knows each)."""

    SECTOR_EXACT = "sector_exact"  # params: sector (comma-separated slugs)
    SECTOR_RELATED = "sector_related"  # params: sector (comma-separated slugs)
    TARGET_STATE = "target_state"  # params: state (ISO code)
    STRONGHOLD = "stronghold"  # params: sector (comma-separated slugs), state
    LABEL = "label"  # params: level (gold/silver/bronze)
    SIZE_KNOWN = "size_known"  # no params
    TEXT_OVERLAP = "text_overlap"  # params: terms (comma-separated, at most TEXT_TERMS_SHOWN)
    KIND_FIT = "kind_fit"  # params: kind (comma-separated Kind values, in Kind order)


# --- Features -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InterestFeatures:
    sectors: frozenset[str]  # sector slugs chosen by the user (>= 1)
    related_sectors: frozenset[str]  # related sector slugs (same ecosystem), exact ones excluded
    states: frozenset[str]  # ISO codes like "MX-BCN"; empty = anywhere
    kinds: frozenset[str]  # Kind values
    description: str = ""


@dataclass(frozen=True)
class ClusterFeatures:
    id: int
    sectors: frozenset[str]
    state: str | None  # ISO code, or None when the briefing doesn't say
    valid_labels: frozenset[str]  # {"gold", "silver", "bronze"}: valid labels only
    has_size: bool  # members/companies/founding year known
    is_formally_organised: bool
    text: str  # name + other names + description + sector labels, raw
    terms: frozenset[str] | None = None  # fold_terms(text), if the caller has it already

    @cached_property
    def folded_terms(self) -> frozenset[str]:
        """``terms`` if given, else ``fold_terms(text)`` (computed once per instance)."""
        return self.terms if self.terms is not None else fold_terms(self.text)

    @cached_property
    def fitting_kinds(self) -> frozenset[str]:
        """The Kind values this cluster fits (``KIND_RULES``), computed once per instance."""
        return frozenset(kind for kind, rule in KIND_RULES.items() if rule.fits(self))

    @cached_property
    def fixed_points(self) -> int:
        """Points that do not depend on the interest: best valid label and known size."""
        return sum(reason.points for reason in self.fixed_reasons)

    @cached_property
    def fixed_reasons(self) -> tuple[Reason, ...]:
        """The reasons that do not depend on the interest: best valid label, known size."""
        found = []
        if self.valid_labels:
            best = max(self.valid_labels, key=_label_points)
            if points := _label_points(best):
                found.append(_reason(Code.LABEL, (("level", best),), points))
        if self.has_size:
            found.append(_reason(Code.SIZE_KNOWN, (), WEIGHTS.size_known))
        return tuple(found)


@dataclass(frozen=True)
class Context:
    strongholds: frozenset[tuple[str, str]]  # (sector_slug, state_code), briefing Table 2


# --- Results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str
    params: tuple[tuple[str, str], ...]  # hashable, JSON-friendly key/values
    points: int

    def to_dict(self) -> dict:
        return {"code": str(self.code), "params": dict(self.params), "points": self.points}

    @classmethod
    def from_dict(cls, d: Mapping) -> Reason:
        params = tuple((str(k), str(v)) for k, v in dict(d.get("params") or {}).items())
        return cls(code=str(d["code"]), params=params, points=int(d["points"]))


@dataclass(frozen=True)
class Match:
    cluster_id: int
    score: int  # 0..100
    reasons: tuple[Reason, ...]  # points desc, then code


# --- Cooperation kinds --------------------------------------------------------------------


@dataclass(frozen=True)
class KindRule:
    """When a cluster fits a kind of cooperation: any one of the conditions is enough.

    ``words`` match folded terms exactly, ``prefixes`` match their beginnings (so
    "manufactur" covers manufacturing, manufacturer, manufactura).
    """

    sectors: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    if_size_known: bool = False
    if_organised_or_labelled: bool = False

    def fits(self, cluster: ClusterFeatures) -> bool:
        if self.if_size_known and cluster.has_size:
            return True
        if self.if_organised_or_labelled and (
            cluster.is_formally_organised or cluster.valid_labels
        ):
            return True
        if not self.sectors.isdisjoint(cluster.sectors):
            return True
        terms = cluster.folded_terms
        if not self.words.isdisjoint(terms):
            return True
        return bool(self.prefixes) and any(t.startswith(self.prefixes) for t in terms)


KIND_RULES: Mapping[str, KindRule] = {
    # An established cluster with known members/companies is a door into the market.
    Kind.MARKET_ACCESS: KindRule(if_size_known=True),
    # Research-minded clusters, or sectors that are technology by nature.
    Kind.TECHNOLOGY: KindRule(
        sectors=frozenset({"biotechnology", "nanotechnology", "ict", "robotics"}),
        words=frozenset({"r&d"}),
        prefixes=(
            "research",
            "innova",  # innovation, innovative, innovacion
            "universi",  # university, universidad
            "investiga",  # investigacion, investigador (not "investment": see INVESTMENT)
            "tecnolog",
            "technolog",
            "laborator",
            "scien",  # science, scientific
            "cienc",  # ciencia
            "cientific",
        ),
    ),
    # Manufacturing sectors with supplier tiers, or a profile that talks about suppliers.
    Kind.SUPPLY_CHAIN: KindRule(
        sectors=frozenset(
            {
                "automotive",
                "aerospace",
                "electronics",
                "household-appliances",
                "advanced-manufacturing",
            }
        ),
        words=frozenset({"tier", "supply", "suministro"}),
        prefixes=("supplier", "manufactur", "proveedor", "proveeduria", "maquila"),
    ),
    # A profile that speaks of investment or incentives.
    Kind.INVESTMENT: KindRule(
        words=frozenset({"invest", "investing", "invested"}),
        prefixes=("investment", "investor", "inversion", "incentiv"),
    ),
    # A counterpart organisation: formally organised, or holding a valid ESCA label.
    Kind.CLUSTER_COOPERATION: KindRule(if_organised_or_labelled=True),
    # Training, education and universities.
    Kind.SKILLS: KindRule(
        prefixes=(
            "training",
            "universi",
            "capacita",  # capacitacion
            "formacion",
            "educa",  # education, educacion, educativo
            "talent",
            "skill",
            "apprentic",
        ),
    ),
}


# --- Scoring: the one rule ----------------------------------------------------------------
#
# Every path scores with the functions below: ``_judge`` (one interest, one cluster: with or
# without its reasons), ``ClusterIndex.rank`` (the same sum regrouped by sector, to walk the
# best first) and ``cluster_change._reachable`` (the same sum as a bound in SQL). The parts:
#
#   score = sector_points(exact) + state_points(targeted) + through_sector(...) + text_points(n)
#
# capped at 100, where ``through_sector`` is what the cluster earns through one shared sector
# whatever the interest's states and text: a stronghold of that sector, its best label and
# known size, and a fit with the chosen kinds. Over several shared sectors of the same tier
# the best one counts.


def sector_points(exact: bool) -> int:
    """An exact shared sector, or else a related one."""
    return WEIGHTS.sector_exact if exact else WEIGHTS.sector_related


def state_points(targeted: bool) -> int:
    """The cluster is in one of the interest's target states."""
    return WEIGHTS.target_state if targeted else 0


def stronghold_points(strong: bool) -> int:
    """The cluster's state is a Table-2 stronghold of a shared sector."""
    return WEIGHTS.stronghold if strong else 0


def kind_points(fits: bool) -> int:
    """At least one chosen kind of cooperation fits the cluster."""
    return WEIGHTS.kind_fit if fits else 0


def text_points(common: int) -> int:
    """``common`` folded terms shared by the description and the cluster's text."""
    return min(WEIGHTS.text_cap, WEIGHTS.text_per_term * common)


def through_sector(
    cluster: ClusterFeatures,
    sector: str,
    kinds: frozenset[str],
    strongholds: frozenset[tuple[str, str]],
) -> int:
    """The points ``cluster`` earns through ``sector`` for an interest choosing ``kinds``,
    but for the sector itself, a target state and text."""
    strong = cluster.state is not None and (sector, cluster.state) in strongholds
    fits = bool(kinds) and not kinds.isdisjoint(cluster.fitting_kinds)
    return stronghold_points(strong) + cluster.fixed_points + kind_points(fits)


def _join(values: Iterable[str]) -> str:
    return ",".join(sorted(values))


def _label_points(level: str) -> int:
    return WEIGHTS.label.get(level, 0)  # an unknown level earns nothing


_KIND_ORDER = tuple(kind.value for kind in Kind)


# Reasons are immutable and repeat a lot (the same sector, state, label...): one object each.
_reason = lru_cache(maxsize=1 << 14)(Reason)


@lru_cache(maxsize=64)  # at most one per set of kinds
def _kind_reason(kinds: frozenset[str]) -> Reason:
    fitting = ",".join(kind for kind in _KIND_ORDER if kind in kinds)
    return _reason(Code.KIND_FIT, (("kind", fitting),), kind_points(True))


def _reason_order(reason: Reason) -> tuple[int, str]:
    return (-reason.points, reason.code)


def _judge(
    interest: InterestFeatures,
    description_terms: frozenset[str],
    cluster: ClusterFeatures,
    strongholds: frozenset[tuple[str, str]],
    reasons: list[Reason] | None,
) -> int | None:
    """The score of ``cluster`` for ``interest`` (None: not a candidate); with a list as
    ``reasons``, each part of it appended there as a Reason."""
    shared = interest.sectors & cluster.sectors
    exact = bool(shared)
    if not exact:
        shared = interest.related_sectors & cluster.sectors
        if not shared:
            return None
    total = sector_points(exact)
    if reasons is not None:
        code = Code.SECTOR_EXACT if exact else Code.SECTOR_RELATED
        reasons.append(_reason(code, (("sector", _join(shared)),), total))
    state = cluster.state
    if state is not None:
        if state in interest.states:
            total += state_points(True)
            if reasons is not None:
                reasons.append(_reason(Code.TARGET_STATE, (("state", state),), state_points(True)))
        strong = [sector for sector in shared if (sector, state) in strongholds]
        if strong:
            total += stronghold_points(True)
            if reasons is not None:
                params = (("sector", _join(strong)), ("state", state))
                reasons.append(_reason(Code.STRONGHOLD, params, stronghold_points(True)))
    total += cluster.fixed_points
    if reasons is not None:
        reasons += cluster.fixed_reasons  # best valid label, known size
    if description_terms:
        common = description_terms & cluster.folded_terms
        if common:
            total += text_points(len(common))
            if reasons is not None:
                shown = sorted(common, key=lambda t: (-len(t), t))[:TEXT_TERMS_SHOWN]
                params = (("terms", ",".join(shown)),)
                reasons.append(_reason(Code.TEXT_OVERLAP, params, text_points(len(common))))
    if interest.kinds:
        fitting = interest.kinds & cluster.fitting_kinds
        if fitting:
            total += kind_points(True)
            if reasons is not None:
                reasons.append(_kind_reason(fitting))
    return min(100, total)


def points(
    interest: InterestFeatures,
    description_terms: frozenset[str],
    cluster: ClusterFeatures,
    strongholds: frozenset[tuple[str, str]],
) -> int | None:
    """The score alone, without building reasons (None: not a candidate);
    ``description_terms`` is ``fold_terms(interest.description)``."""
    return _judge(interest, description_terms, cluster, strongholds, None)


def score_with_terms(
    interest: InterestFeatures,
    description_terms: frozenset[str],
    cluster: ClusterFeatures,
    context: Context,
) -> Match | None:
    """``score()`` for a caller that has ``fold_terms(interest.description)`` already."""
    reasons: list[Reason] = []
    total = _judge(interest, description_terms, cluster, context.strongholds, reasons)
    if total is None:
        return None
    reasons.sort(key=_reason_order)
    return Match(cluster_id=cluster.id, score=total, reasons=tuple(reasons))


def score(interest: InterestFeatures, cluster: ClusterFeatures, context: Context) -> Match | None:
    """Score one cluster for one interest, with its reasons; None when it is not a candidate."""
    return score_with_terms(interest, fold_terms(interest.description), cluster, context)


def _rank_key(entry: tuple) -> tuple[int, int]:
    return entry[0], entry[1]


def rank(
    interest: InterestFeatures,
    clusters: Iterable[ClusterFeatures],
    context: Context,
    *,
    limit: int,
    exclude: Collection[int] = (),
) -> list[Match]:
    """The best ``limit`` matches, by score (desc) then cluster id, scoring every cluster
    given: excluded ids and non-candidates dropped. Reasons are built for the ``limit``
    best only."""
    if limit <= 0:
        return []
    excluded = frozenset(exclude)
    description_terms = fold_terms(interest.description)
    strongholds = context.strongholds
    ranked = []
    for cluster in clusters:
        if cluster.id in excluded:
            continue
        total = points(interest, description_terms, cluster, strongholds)
        if total is not None:
            ranked.append((-total, cluster.id, cluster))
    best = heapq.nsmallest(limit, ranked, key=_rank_key)
    return [score_with_terms(interest, description_terms, c, context) for _, _, c in best]
