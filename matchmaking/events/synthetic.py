"""A synthetic event for the benchmark and the demo: plain data, no ORM."""

import random

from matchmaking.events.scheduler import Person, Problem, Request, Slot


def synthetic_problem(
    *,
    participants: int = 800,
    requests: int = 5000,
    days: int = 2,
    slots_per_day: int = 18,
    tables: int = 120,
    one_day_share: float = 0.25,
    seed: int = 1,
) -> Problem:
    """``participants`` people, a ``one_day_share`` of them attending one day only; each
    wants between 8 and the number of slots they attend; ``requests`` distinct pairs, drawn
    with more requests for some (popular) people than others; a tenth of them mutual."""
    rng = random.Random(seed)
    slots = tuple(
        Slot(id=day * slots_per_day + index + 1, day=day)
        for day in range(days)
        for index in range(slots_per_day)
    )
    people = {}
    for pid in range(1, participants + 1):
        if rng.random() < one_day_share:
            day = rng.randrange(days)
            attended = frozenset(slot.id for slot in slots if slot.day == day)
        else:
            attended = frozenset(slot.id for slot in slots)
        people[pid] = Person(pid, attended, rng.randint(8, len(attended)))
    weights = [rng.paretovariate(2.5) for _ in range(participants)]
    ids = list(people)
    pairs = set()
    while len(pairs) < requests:
        a, b = rng.choices(ids, weights=weights, k=2)
        if a != b and (a, b) not in pairs and (b, a) not in pairs:
            pairs.add((a, b))
    return Problem(
        slots=slots,
        tables=tuple(range(1, tables + 1)),
        people=people,
        requests=tuple(
            Request(id=n, a=a, b=b, mutual=rng.random() < 0.1, score=rng.randint(20, 100))
            for n, (a, b) in enumerate(sorted(pairs), start=1)
        ),
    )
