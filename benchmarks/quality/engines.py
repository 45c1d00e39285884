"""The engine versions the quality report measures, each a function persona -> cluster slugs,
best first.

This is the ONE place that imports the matching code: the match preview's own entry point
(``run_preview`` with its form), so what is scored is exactly what a visitor of
/match-preview/ sees. When the matching package moves, update the imports here only.

Keeping the previous version for comparison: before changing the engine, copy its scoring
(the plain-Python engine module) into this package, e.g. ``engine_v1.py``, add a function
ranking a persona with it (same candidates and features as the preview), and append it to
``PREVIOUS``; the report then prints both versions' figures from the same run.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import QueryDict

from benchmarks.quality.personas import Persona, PersonaError
from matchmaking.forms import MatchPreviewForm
from matchmaking.matching.engine import ENGINE_VERSION
from matchmaking.views.api import run_preview


@dataclass(frozen=True)
class EngineVersion:
    label: str
    rank: Callable[[Persona], list[str]]


def rank_as_preview(persona: Persona) -> list[str]:
    """The clusters the match preview suggests for what ``persona`` states on the form."""
    query = QueryDict(mutable=True)
    query.setlist("sectors", persona.sectors)
    query.setlist("states", persona.states)
    query.setlist("kinds", persona.kinds)
    query["description"] = persona.description
    form = MatchPreviewForm.from_query(query)
    if not form.is_valid():
        raise PersonaError(f"persona {persona.id}: the preview refuses it: {form.errors.as_text()}")
    return [result.cluster.slug for result in run_preview(form)]


CURRENT = EngineVersion(f"v{ENGINE_VERSION}", rank_as_preview)

# Older engine versions still measured beside CURRENT (none yet: only version 1 exists).
PREVIOUS: list[EngineVersion] = []
