"""Match keys: what an interest's suggestions were computed from, as strings that one GIN
index holds (``Interest.match_keys``, PostgreSQL), so that a changed cluster finds the
interests it can enter by index (``cluster_change``): its sectors, its target states, its
kinds of cooperation and the folded terms of its description, each prefixed.
"""

from matchmaking.matching import engine

SECTOR, STATE, KIND, TERM = "s:", "st:", "k:", "t:"


def match_keys(interest: engine.InterestFeatures, terms: frozenset[str]) -> list[str]:
    """The keys of an interest matched with ``interest`` and its description's ``terms``."""
    return sorted(
        [
            *prefixed(SECTOR, interest.sectors),
            *prefixed(STATE, interest.states),
            *prefixed(KIND, interest.kinds),
            *prefixed(TERM, terms),
        ]
    )


def prefixed(prefix: str, values) -> list[str]:
    return [prefix + str(value) for value in sorted(values)]
