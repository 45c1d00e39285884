"""The matching engine: plain data in, a score 0-100 and its reasons out.

Never touches the ORM. Callers turn an interest and each candidate cluster into
``InterestFeatures`` / ``ClusterFeatures`` (plus one ``Context`` per run), call ``rank()``
and store each ``Match`` with ``ENGINE_VERSION``. ``reasons.render()`` turns a ``Reason``
into a sentence in the active language.

Scoring (all points in ``WEIGHTS`` below, maximum exactly 100):

- sector: an exact shared sector, or else a related one (same EU industrial ecosystem).
  A cluster sharing neither is not a candidate: ``score()`` returns None (``is_candidate``).
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
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from itertools import chain

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


# --- Text ---------------------------------------------------------------------------------
#
# fold_terms(): the same folding as clusters.text.fold (NFKD, accents stripped, casefold),
# applied word by word so each distinct word is folded once per process (_term is cached):
#   1. "R&D", "RD&I", "RDI", "I+D", "I+D+i" become the single term "r&d";
#   2. split into words of letters only (digits and punctuation separate words);
#   3. keep words of >= 4 letters;
#   4. light plural stemming (_stem): "turbines" -> "turbine", "industries" -> "industry",
#      "sectores" -> "sector", "clústeres"/"clusters" -> "cluster", "universidades" ->
#      "universidad", "soluciones" -> "solucion", "materiales" -> "material". A stem never
#      drops below 4 letters. No translation: "turbinas" and "turbines" stay different;
#   5. drop Spanish and English stop words and a few domain words every profile or
#      description contains ("cluster", "sector", "industry", "company", "mexico", ...),
#      checked on both the word and its stem.
# Symbols that only compatibility-decompose into letters ("™") separate words; Latin-script
# text folds exactly as clusters.text.fold would (a property test checks it).

_RND = re.compile(
    r"\b(?:r\s*&\s*d(?:\s*&\s*i)?|rd\s*&\s*i|i\s*\+\s*d(?:\s*\+\s*i)?)(?!\w)", re.IGNORECASE
)
_WORD = re.compile(r"r&d|[^\W\d_]+")
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_MIN_LEN = 4

_STOP_EN = """
    about above across after again against almost along also although among another anyone
    anything around away based became because become been before being below best better
    between both cannot could does doing done down during each either else enough even ever
    every following from further given have having here hers herself himself however include
    included includes including into itself just last least less like made main make many
    more most much must myself near need needs neither never none only other others ours
    ourselves over own same several shall should since some such than that their theirs them
    themselves then there therefore these they this those though through thus under until
    upon used using very want wants well were what whatever when where whether which while
    whom whose will with within without would your yours yourself yourselves looking seeking
    interested interest interests
"""
_STOP_ES = """
    ademas ahora algo algun alguna algunas alguno algunos ante antes aquel aquella aquellas
    aquello aquellos aqui asimismo bajo bien cada casi como contra cual cuales cualquier
    cuando cuanto debe deben del desde donde durante ella ellas ello ellos entre esas esos
    esta estaba estado estamos estan estar estas este esto estos fueron hace hacen hacer
    hacia hasta incluso mediante menos mientras misma mismas mismo mismos mucha muchas mucho
    muchos nada nosotras nosotros nuestra nuestras nuestro nuestros otra otras otro otros
    para pero poco pocos porque puede pueden pues quien quienes sean segun sera seran sido
    siendo sino sobre solo somos suya suyas suyo suyos tambien tanto tener tiene tienen toda
    todas todo todos tras unas unos usted ustedes vamos buscamos busca buscando interesa
    interesado interesada interes
"""
_STOP_DOMAIN = """
    cluster sector industry industria company empresa mexico mexican mexicano mexicana
    association asociacion partner socio
"""
STOP_WORDS: frozenset[str] = frozenset((_STOP_EN + _STOP_ES + _STOP_DOMAIN).split())

# Plural endings, first match wins; anything else ending in "s" just loses the "s".
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ies", "y"),  # industries, technologies, companies
    ("sses", "ss"),  # processes, businesses
    ("xes", "x"),  # boxes, taxes
    ("ches", "ch"),  # approaches, researches
    ("shes", "sh"),  # finishes
    ("iones", "ion"),  # soluciones, inversiones, asociaciones
    ("dades", "dad"),  # universidades, capacidades
    ("ores", "or"),  # sectores, proveedores, interiores, motores
    ("eres", "er"),  # clusteres, talleres
    ("ales", "al"),  # materiales, industriales, regionales
)
# English words whose ending looks Spanish: they only lose the final "s".
_JUST_S = frozenset(
    "stores scores cores shores chores explores ignores restores spheres atmospheres "
    "hemispheres sales resales wholesales scales females males tales whales rationales "
    "series species".split()
)
_NOT_PLURAL = ("ss", "us", "is")  # process, campus, analysis


def _stem(word: str) -> str:
    if len(word) <= _MIN_LEN or not word.endswith("s") or word.endswith(_NOT_PLURAL):
        return word
    if word in _JUST_S:
        stem = word[:-1]
    else:
        for suffix, replacement in _SUFFIXES:
            if word.endswith(suffix):
                stem = word[: -len(suffix)] + replacement
                break
        else:
            stem = word[:-1]
    return stem if len(stem) >= _MIN_LEN else word


def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    if not decomposed.isascii():
        decomposed = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return decomposed.casefold()


def _content_term(folded: str) -> str | None:
    if folded in ("r&d", "rdi"):
        return "r&d"
    if len(folded) < _MIN_LEN or folded in STOP_WORDS:
        return None
    stem = _stem(folded)
    return None if stem in STOP_WORDS else stem


@lru_cache(maxsize=1 << 17)
def _terms_of_word(word: str) -> tuple[str, ...]:
    """The terms one raw word contributes: usually none or one. Folding may turn a
    character the regex took for a letter into digits or punctuation ("¼" -> "1⁄4"):
    such a word is split again."""
    folded = _fold_word(word)
    parts = (folded,) if folded.isalpha() else _WORD.findall(folded)
    return tuple(term for term in map(_content_term, parts) if term)


# Small on purpose: a worker folds every interest's description once per run (a big cache
# would only hold descriptions it will not see again, a process's memory growing with the
# number of interests); a cluster's terms are kept on its features (``folded_terms``).
@lru_cache(maxsize=1 << 12)
def fold_terms(text: str) -> frozenset[str]:
    """Content words of ``text``, accent- and case-insensitive (rules in the comment above).

    >>> sorted(fold_terms("Turbinas de energía para los clústeres"))
    ['energia', 'turbina']
    """
    if not text:
        return frozenset()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)  # "o" + combining accent -> "ó"
        if _MARKS.search(text):
            text = _MARKS.sub("", text)  # accents left over join, not split, words
    if "&" in text or "+" in text:
        text = _RND.sub(" r&d ", text)
    return frozenset(chain.from_iterable(map(_terms_of_word, _WORD.findall(text))))


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


# --- Scoring ------------------------------------------------------------------------------


def is_candidate(interest: InterestFeatures, cluster: ClusterFeatures) -> bool:
    """True when the cluster shares an exact or a related sector with the interest.

    The database query that picks candidates mirrors this rule (sector ∈ sectors ∪ related).
    """
    return not (
        interest.sectors.isdisjoint(cluster.sectors)
        and interest.related_sectors.isdisjoint(cluster.sectors)
    )


def _join(values: Iterable[str]) -> str:
    return ",".join(sorted(values))


_LABEL_POINTS = WEIGHTS.label


def _label_points(level: str) -> int:
    return _LABEL_POINTS.get(level, 0)  # an unknown level earns nothing


_KIND_ORDER = tuple(kind.value for kind in Kind)


# Reasons are immutable and repeat a lot (the same sector, state, label...): one object each.
_reason = lru_cache(maxsize=1 << 14)(Reason)


@lru_cache(maxsize=64)  # at most one per set of kinds
def _kind_reason(kinds: frozenset[str]) -> Reason | None:
    fitting = [kind for kind in _KIND_ORDER if kind in kinds]
    if not fitting:
        return None
    return _reason(Code.KIND_FIT, (("kind", ",".join(fitting)),), WEIGHTS.kind_fit)


def _reason_order(reason: Reason) -> tuple[int, str]:
    return (-reason.points, reason.code)


def _score(
    interest: InterestFeatures,
    description_terms: frozenset[str],
    cluster: ClusterFeatures,
    context: Context,
) -> Match | None:
    w = WEIGHTS
    reasons: list[Reason] = []

    shared = interest.sectors & cluster.sectors
    if shared:
        reasons.append(_reason(Code.SECTOR_EXACT, (("sector", _join(shared)),), w.sector_exact))
    else:
        shared = interest.related_sectors & cluster.sectors
        if not shared:
            return None
        reasons.append(_reason(Code.SECTOR_RELATED, (("sector", _join(shared)),), w.sector_related))

    state = cluster.state
    if state is not None:
        if state in interest.states:
            reasons.append(_reason(Code.TARGET_STATE, (("state", state),), w.target_state))
        strong = [s for s in shared if (s, state) in context.strongholds]
        if strong:
            params = (("sector", _join(strong)), ("state", state))
            reasons.append(_reason(Code.STRONGHOLD, params, w.stronghold))

    reasons += cluster.fixed_reasons  # best valid label, known size

    if description_terms:
        common = description_terms & cluster.folded_terms
        if common:
            shown = sorted(common, key=lambda t: (-len(t), t))[:TEXT_TERMS_SHOWN]
            points = min(w.text_cap, w.text_per_term * len(common))
            reasons.append(_reason(Code.TEXT_OVERLAP, (("terms", ",".join(shown)),), points))

    if interest.kinds:
        kind_reason = _kind_reason(interest.kinds & cluster.fitting_kinds)
        if kind_reason is not None:
            reasons.append(kind_reason)

    reasons.sort(key=_reason_order)
    total = min(100, sum(r.points for r in reasons))
    return Match(cluster_id=cluster.id, score=int(total), reasons=tuple(reasons))


def score_with_terms(
    interest: InterestFeatures,
    description_terms: frozenset[str],
    cluster: ClusterFeatures,
    context: Context,
) -> Match | None:
    """``score()`` for a caller that has ``fold_terms(interest.description)`` already."""
    return _score(interest, description_terms, cluster, context)


def score(interest: InterestFeatures, cluster: ClusterFeatures, context: Context) -> Match | None:
    """Score one cluster for one interest; None when it is not a candidate."""
    return _score(interest, fold_terms(interest.description), cluster, context)


def points(
    interest: InterestFeatures,
    description_terms: frozenset[str],
    cluster: ClusterFeatures,
    strongholds: frozenset[tuple[str, str]],
) -> int | None:
    """``_score(...).score`` without building the reasons (None: not a candidate).

    ``rank()`` ranks every candidate with this and builds reasons for the top ones only;
    each rule here mirrors one in ``_score`` (a property test checks they agree)."""
    w = WEIGHTS
    sectors = cluster.sectors
    shared = interest.sectors & sectors
    if shared:
        total = w.sector_exact
    else:
        shared = interest.related_sectors & sectors
        if not shared:
            return None
        total = w.sector_related
    state = cluster.state
    if state is not None:
        if state in interest.states:
            total += w.target_state
        for sector in shared:
            if (sector, state) in strongholds:
                total += w.stronghold
                break
    total += cluster.fixed_points
    if description_terms:
        common = len(description_terms & cluster.folded_terms)
        if common:
            total += min(w.text_cap, w.text_per_term * common)
    if interest.kinds and not interest.kinds.isdisjoint(cluster.fitting_kinds):
        total += w.kind_fit
    return min(100, total)


def _order(match: Match) -> tuple[int, int]:
    return (-match.score, match.cluster_id)


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
    """The best ``limit`` matches, by score (desc) then cluster id: excluded ids and
    non-candidates dropped. Candidates are ranked by ``points()``; reasons are built for
    the ``limit`` best only."""
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
    return [_score(interest, description_terms, cluster, context) for _, _, cluster in best]
