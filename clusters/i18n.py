"""Language helpers for data that the database holds in English and Spanish.

- Sector names: ``Sector.name`` picks ``name_en`` or ``name_es`` by the active language; lists
  of sectors are ordered by that same name (``sector_name_field``, ``sorted_by_name``).
- The EU's 14 industrial ecosystems are a fixed vocabulary stored in English; their names are
  marked here so that ``makemessages`` puts them in the catalogue, and templates show them
  with ``{% translate ecosystem.name %}``.
- Cluster, state and programme names, and other text quoted from the briefing, are data and
  are shown as the briefing writes them, in every language.
"""

from collections.abc import Iterable
from typing import TypeVar

from django.utils.translation import get_language, gettext_noop

from clusters.text import fold

T = TypeVar("T")

ECOSYSTEM_NAMES = [
    gettext_noop("Aerospace & Defence"),
    gettext_noop("Agri-food"),
    gettext_noop("Construction"),
    gettext_noop("Cultural & Creative Industries"),
    gettext_noop("Digital"),
    gettext_noop("Electronics"),
    gettext_noop("Energy-Intensive Industries"),
    gettext_noop("Renewable Energy"),
    gettext_noop("Health"),
    gettext_noop("Mobility-Transport-Automotive"),
    gettext_noop("Proximity & Social Economy"),
    gettext_noop("Retail"),
    gettext_noop("Textile"),
    gettext_noop("Tourism"),
]


def sector_name_field() -> str:
    """The ``Sector`` field that ``Sector.name`` reads in the active language."""
    return "name_es" if (get_language() or "en").startswith("es") else "name_en"


def sorted_by_name(items: Iterable[T], key=lambda item: item.name) -> list[T]:
    """``items`` in alphabetical order of their name in the active language, ignoring case
    and accents, whatever the database's collation."""
    return sorted(items, key=lambda item: fold(str(key(item))))
