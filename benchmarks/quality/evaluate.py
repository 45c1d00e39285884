"""``python -m benchmarks --quality``: every persona ranked by each engine version, nDCG@5 and
P@5 per persona, per sector and overall; exit 1 when the current version's mean nDCG@5 falls
below ``NDCG_THRESHOLD``, 2 on an error.

Runs in about ten seconds on a private in-memory SQLite database (migrated, briefing loaded);
it needs no PostgreSQL, Redis or worker and touches none.
"""

import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from statistics import mean

from benchmarks.quality import NDCG_THRESHOLD
from benchmarks.quality.metrics import K, ideal_precision_at_k, ndcg_at_k, precision_at_k
from benchmarks.quality.personas import Persona, PersonaError, load_personas

# A persona whose nDCG@5 is below this gets its top 5 listed under the table.
LIST_BELOW = 0.8


@dataclass(frozen=True)
class PersonaResult:
    persona: Persona
    ranked: tuple[str, ...]  # the first K suggestions, best first
    ndcg: float
    precision: float


@dataclass(frozen=True)
class VersionResult:
    label: str
    personas: tuple[PersonaResult, ...]

    @property
    def mean_ndcg(self) -> float:
        return mean(result.ndcg for result in self.personas)

    @property
    def mean_precision(self) -> float:
        return mean(result.precision for result in self.personas)

    def by_sector(self) -> dict[str, tuple[float, float, int]]:
        """Sector slug -> (mean nDCG@5, mean P@5, personas), over the personas choosing it."""
        groups: dict[str, list[PersonaResult]] = defaultdict(list)
        for result in self.personas:
            for sector in result.persona.sectors:
                groups[sector].append(result)
        return {
            sector: (
                mean(r.ndcg for r in results),
                mean(r.precision for r in results),
                len(results),
            )
            for sector, results in sorted(groups.items())
        }


def measure(version, personas: list[Persona]) -> VersionResult:
    results = []
    for persona in personas:
        ranked = tuple(version.rank(persona)[:K])
        results.append(
            PersonaResult(
                persona,
                ranked,
                ndcg_at_k(ranked, persona.expected),
                precision_at_k(ranked, persona.expected),
            )
        )
    return VersionResult(version.label, tuple(results))


def check(result: VersionResult, threshold: float = NDCG_THRESHOLD) -> int:
    """The exit status: 0 when the mean nDCG@5 reaches ``threshold``, else 1."""
    return 0 if result.mean_ndcg >= threshold else 1


def report(current: VersionResult, previous: VersionResult | None) -> str:
    def figures(result: PersonaResult | None) -> str:
        return f"{result.ndcg:6.3f} {result.precision:5.2f}" if result else f"{'n/a':>6} {'':5}"

    old = {r.persona.id: r for r in previous.personas} if previous else {}
    prev_label = previous.label if previous else "previous"
    lines = [
        f"Match quality: {len(current.personas)} personas, engine {current.label} beside "
        f"{previous.label if previous else 'previous version: n/a'}; gains 2^grade-1; "
        f"P@{K} counts grade >= 1 ('max': the best possible).",
        "",
        f"{'persona':42} {'nDCG@5':>6} {'P@5':>5} {'max':>4}   {prev_label + ' nDCG':>10} "
        f"{'P@5':>5}   top {K} grades",
    ]
    for result in current.personas:
        persona = result.persona
        grades = " ".join(str(persona.expected.get(slug, 0)) for slug in result.ranked)
        lines.append(
            f"{persona.id:42} {figures(result)} {ideal_precision_at_k(persona.expected):4.1f}"
            f"   {figures(old.get(persona.id)):>16}   {grades or '(none)'}"
        )
    lines += ["", f"{'sector (personas choosing it)':42} {'nDCG@5':>6} {'P@5':>5}"]
    old_sectors = previous.by_sector() if previous else {}
    for sector, (ndcg, precision, count) in current.by_sector().items():
        before = old_sectors.get(sector)
        was = f"{before[0]:6.3f} {before[1]:5.2f}" if before else "n/a"
        lines.append(f"{f'{sector} ({count})':42} {ndcg:6.3f} {precision:5.2f}   {was}")
    lines += [
        "",
        f"overall {current.label}: mean nDCG@{K} {current.mean_ndcg:.3f}, "
        f"mean P@{K} {current.mean_precision:.3f}",
        f"overall {prev_label}: "
        + (
            f"mean nDCG@{K} {previous.mean_ndcg:.3f}, mean P@{K} {previous.mean_precision:.3f}"
            if previous
            else "previous version: n/a"
        ),
        f"threshold: mean nDCG@{K} >= {NDCG_THRESHOLD:.3f} (issue 16's goal: 0.95)",
    ]
    weak = [r for r in current.personas if r.ndcg < LIST_BELOW]
    if weak:
        lines += ["", f"Below {LIST_BELOW} nDCG@{K}: what {current.label} suggests (grade)"]
        for result in weak:
            shown = ", ".join(
                f"{slug} ({result.persona.expected.get(slug, 0)})" for slug in result.ranked
            )
            lines.append(f"- {result.persona.id}: {shown or '(none)'}")
    return "\n".join(lines)


def run(out=sys.stdout) -> int:
    """Measure every engine version on a database with the briefing loaded; print the report."""
    from benchmarks.quality.engines import CURRENT, PREVIOUS

    personas = load_personas()
    current = measure(CURRENT, personas)
    previous = measure(PREVIOUS[-1], personas) if PREVIOUS else None
    print(report(current, previous), file=out)
    status = check(current)
    if status:
        print(
            f"quality: mean nDCG@{K} {current.mean_ndcg:.3f} is below the threshold "
            f"{NDCG_THRESHOLD:.3f}",
            file=sys.stderr,
        )
    return status


def main() -> int:
    started = time.monotonic()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": "sqlite://:memory:",
            "CELERY_BROKER_URL": "memory://",
            "CACHE_URL": "",
        }
    )
    import django
    from django.core.management import call_command

    try:
        django.setup()
        call_command("migrate", verbosity=0)
        call_command("load_briefing", verbosity=0)
        status = run()
    except PersonaError as exc:
        print(f"quality: {exc}", file=sys.stderr)
        return 2
    print(f"({time.monotonic() - started:.1f} s)")
    return status
