"""Text helpers shared by search and matching: case- and accent-insensitive folding."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents: "Querétaro" -> "queretaro"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
