"""Text terms: the content words of a description or a cluster's text, folded so that the
engine can count the words they share. Plain Python, no ORM.

``fold_terms()`` applies the same folding as clusters.text.fold (NFKD, accents stripped,
casefold), word by word so each distinct word is folded once per process (_terms_of_word is
cached):

1. "R&D", "RD&I", "RDI", "I+D", "I+D+i" become the single term "r&d";
2. split into words of letters only (digits and punctuation separate words);
3. keep words of >= 4 letters;
4. light plural stemming (_stem): "turbines" -> "turbine", "industries" -> "industry",
   "sectores" -> "sector", "clústeres"/"clusters" -> "cluster", "universidades" ->
   "universidad", "soluciones" -> "solucion", "materiales" -> "material". A stem never
   drops below 4 letters. No translation: "turbinas" and "turbines" stay different;
5. drop Spanish and English stop words and a few domain words every profile or
   description contains ("cluster", "sector", "industry", "company", "mexico", ...),
   checked on both the word and its stem.

Symbols that only compatibility-decompose into letters ("™") separate words; Latin-script
text folds exactly as clusters.text.fold would (a property test checks it).
"""

import re
import unicodedata
from functools import lru_cache
from itertools import chain

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
