"""The evaluation set (``personas.toml``, beside this module): read and checked."""

import tomllib
from dataclasses import dataclass
from pathlib import Path

PERSONAS_FILE = Path(__file__).with_name("personas.toml")
GRADES = (1, 2, 3)


class PersonaError(ValueError):
    """The evaluation set is malformed (one readable line)."""


@dataclass(frozen=True)
class Persona:
    id: str
    organisation: str
    country: str
    sectors: tuple[str, ...]
    states: tuple[str, ...]
    kinds: tuple[str, ...]
    description: str
    expected: dict[str, int]  # cluster slug -> grade; unlisted = 0
    why: dict[str, str]  # cluster slug -> the expert's justification


def load_personas(path: Path = PERSONAS_FILE) -> list[Persona]:
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8"))["persona"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise PersonaError(f"{path}: cannot read the personas ({exc})") from exc
    personas = [_persona(entry, path) for entry in entries]
    ids = [persona.id for persona in personas]
    if len(ids) != len(set(ids)):
        raise PersonaError(f"{path}: two personas share an id")
    return personas


def _persona(entry: dict, path: Path) -> Persona:
    name = entry.get("id", "?")
    try:
        expected, why = {}, {}
        for slug, (grade, reason) in entry.get("expected", {}).items():
            if grade not in GRADES or not reason.strip():
                raise ValueError(f"{slug}: grade must be 1-3 with a justification")
            expected[slug], why[slug] = grade, reason
        persona = Persona(
            id=entry["id"],
            organisation=entry["organisation"],
            country=entry["country"],
            sectors=tuple(entry["sectors"]),
            states=tuple(entry["states"]),
            kinds=tuple(entry["kinds"]),
            description=entry["description"],
            expected=expected,
            why=why,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PersonaError(f"{path}: persona {name}: {exc}") from exc
    if not persona.sectors:
        raise PersonaError(f"{path}: persona {name}: no sector")
    return persona
