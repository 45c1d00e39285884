"""Sentences for the engine's reasons, in the active language.

``render()`` takes the names to show (in the page's language) from the caller, so it needs
no database; a slug or code without a name is shown as it is.
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from matchmaking.matching.engine import Code, Kind, Reason

KIND_LABELS = {
    Kind.MARKET_ACCESS: gettext_lazy("market access/export"),
    Kind.TECHNOLOGY: gettext_lazy("technology & R&D partnership"),
    Kind.SUPPLY_CHAIN: gettext_lazy("supply chain"),
    Kind.INVESTMENT: gettext_lazy("investment/establishment"),
    Kind.CLUSTER_COOPERATION: gettext_lazy("cluster-to-cluster cooperation"),
    Kind.SKILLS: gettext_lazy("skills/training"),
}

LABEL_LEVELS = {
    "gold": gettext_lazy("Gold"),
    "silver": gettext_lazy("Silver"),
    "bronze": gettext_lazy("Bronze"),
}


def _split(value: str) -> list[str]:
    return [item for item in value.split(",") if item]


def _and(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    # Translators: the end of a list, e.g. "Aerospace, Automotive and Electronics".
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def _mid_sentence(name: str) -> str:
    """ "Aerospace" -> "aerospace" inside a sentence; acronyms ("ICT and software") stay."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def render(
    reason: Reason, *, sector_names: Mapping[str, str], state_names: Mapping[str, str]
) -> str:
    """One sentence explaining ``reason``; names fall back to the raw slug or code."""
    params = dict(reason.params)
    sectors = [str(sector_names.get(s, s)) for s in _split(params.get("sector", ""))]
    state_code = params.get("state", "")
    state = str(state_names.get(state_code, state_code))
    code = reason.code

    if code == Code.SECTOR_EXACT:
        return ngettext("Same sector: %(sectors)s", "Same sectors: %(sectors)s", len(sectors)) % {
            "sectors": _and(sectors)
        }
    if code == Code.SECTOR_RELATED:
        return ngettext(
            "Related sector: %(sectors)s", "Related sectors: %(sectors)s", len(sectors)
        ) % {"sectors": _and(sectors)}
    if code == Code.TARGET_STATE:
        return _("In your target state %(state)s") % {"state": state}
    if code == Code.STRONGHOLD:
        # Translators: "sector" is a sector name (or a list of them) inside the sentence.
        sentence = _(
            "%(state)s is where Mexico's %(sector)s clusters concentrate (briefing, Table 2)"
        )
        return sentence % {"state": state, "sector": _and([_mid_sentence(s) for s in sectors])}
    if code == Code.LABEL:
        level = params.get("level", "")
        return _("Holds an ESCA %(level)s label, valid at the briefing's date (Dec 2016)") % {
            "level": LABEL_LEVELS.get(level, level)
        }
    if code == Code.SIZE_KNOWN:
        return _("Known size and maturity (members, companies or founding year given)")
    if code == Code.TEXT_OVERLAP:
        # Translators: a word quoted inside a sentence.
        terms = [_("'%(term)s'") % {"term": t} for t in _split(params.get("terms", ""))]
        return ngettext(
            "Your description mentions %(terms)s, as does its profile",
            "Your description mentions %(terms)s, as does its profile",
            len(terms),
        ) % {"terms": _and(terms)}
    if code == Code.KIND_FIT:
        kinds = [str(KIND_LABELS.get(k, k)) for k in _split(params.get("kind", ""))]
        return ngettext("Fits your aim: %(kinds)s", "Fits your aims: %(kinds)s", len(kinds)) % {
            "kinds": _and(kinds)
        }
    return str(code)
