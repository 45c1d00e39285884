"""The meeting scheduler: plain Python and OR-Tools CP-SAT, no ORM.

It reads plain data (``Problem``: slots, tables, people with their availability and meeting
cap, accepted requests, fixed meetings) and returns assignments (``Schedule``). The tasks
read the database into a ``Problem`` and write the ``Schedule`` back under the database's
constraints (``matchmaking.events.services``).

The model: one boolean per (request, slot) where both sides are free; each request at most
once; each person at most once per slot and at most their cap; each slot at most as many
meetings as it has free tables. Tables are interchangeable, so they are handed out per slot
after solving (fixed meetings keep theirs). The objective is lexicographic, by weights:
first the number of meetings, then mutual and higher-scored ones, then fewer runs of
meetings per person and day (each idle gap between two meetings starts a new run).
A greedy schedule is the solver's starting hint and its fallback.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

MUTUAL_BONUS = 50  # a mutual request weighs like one scored 50 points higher
BONUS_SCALE = 10  # one point of preference outweighs up to nine idle gaps


class Reason:
    """Why a request is left unscheduled (codes; the pages render them as sentences)."""

    NO_COMMON_TIME = "no_common_time"  # the two sides share no free slot
    LIMIT_REACHED = "limit_reached"  # one side has as many meetings as it wants
    NO_ROOM = "no_room"  # every common free slot is full (tables or the other meetings)


@dataclass(frozen=True)
class Slot:
    id: int
    day: int  # slots of one day form a sequence: a free slot between two meetings is a gap


@dataclass(frozen=True)
class Person:
    id: int
    slots: frozenset[int]
    max_meetings: int


@dataclass(frozen=True)
class Request:
    id: int
    a: int  # person ids
    b: int
    mutual: bool = False
    score: int = 0  # the engine's 0-100


@dataclass(frozen=True)
class Fixed:
    """A meeting that must not move (pinned by staff, or chosen by its participants)."""

    request_id: int
    a: int
    b: int
    slot: int
    table: int


@dataclass(frozen=True)
class Problem:
    slots: tuple[Slot, ...]  # in time order
    tables: tuple[int, ...]
    people: dict[int, Person]
    requests: tuple[Request, ...]
    fixed: tuple[Fixed, ...] = ()


@dataclass(frozen=True)
class Assignment:
    request_id: int
    slot: int
    table: int


@dataclass
class Schedule:
    assignments: list[Assignment]  # the fixed meetings are not repeated here
    unscheduled: dict[int, str]  # request id -> Reason code
    solver: str  # "cp-sat" or "greedy"
    status: str  # "optimal", "feasible" (time limit hit: the best found), "greedy"
    seconds: float = 0.0
    solutions: int = 0

    @property
    def count(self) -> int:
        return len(self.assignments)


@dataclass
class _Prepared:
    """What both the greedy and the CP-SAT model start from."""

    problem: Problem
    busy: dict[int, set[int]]  # person -> slots taken by fixed meetings
    left: dict[int, int]  # person -> meetings still allowed
    capacity: dict[int, int]  # slot -> free tables
    candidates: dict[int, list[int]] = field(default_factory=dict)  # request -> its slots
    unscheduled: dict[int, str] = field(default_factory=dict)


def _prepare(problem: Problem) -> _Prepared:
    busy: dict[int, set[int]] = defaultdict(set)
    used_tables: dict[int, set[int]] = defaultdict(set)
    left = {person.id: person.max_meetings for person in problem.people.values()}
    fixed_ids = set()
    for meeting in problem.fixed:
        fixed_ids.add(meeting.request_id)
        for person in (meeting.a, meeting.b):
            busy[person].add(meeting.slot)
            left[person] = left.get(person, 0) - 1
        used_tables[meeting.slot].add(meeting.table)
    capacity = {slot.id: len(set(problem.tables) - used_tables[slot.id]) for slot in problem.slots}
    prepared = _Prepared(problem, busy, left, capacity)
    order = [slot.id for slot in problem.slots]
    for request in problem.requests:
        if request.id in fixed_ids:
            continue
        a, b = problem.people.get(request.a), problem.people.get(request.b)
        if a is None or b is None:
            prepared.unscheduled[request.id] = Reason.NO_COMMON_TIME
            continue
        common = (a.slots & b.slots) - busy[a.id] - busy[b.id]
        slots = [slot for slot in order if slot in common and capacity[slot] > 0]
        if not (a.slots & b.slots):
            prepared.unscheduled[request.id] = Reason.NO_COMMON_TIME
        elif left[a.id] <= 0 or left[b.id] <= 0:
            prepared.unscheduled[request.id] = Reason.LIMIT_REACHED
        elif not slots:
            prepared.unscheduled[request.id] = Reason.NO_ROOM
        else:
            prepared.candidates[request.id] = slots
    return prepared


def _preference(request: Request) -> int:
    return request.score + (MUTUAL_BONUS if request.mutual else 0)


def _greedy_slots(prepared: _Prepared) -> dict[int, int]:
    """Request -> slot: best-preferred requests first, each in its earliest free slot."""
    problem = prepared.problem
    by_id = {request.id: request for request in problem.requests}
    taken = {person: set(slots) for person, slots in prepared.busy.items()}
    left = dict(prepared.left)
    capacity = dict(prepared.capacity)
    chosen = {}
    order = sorted(prepared.candidates, key=lambda rid: (-_preference(by_id[rid]), rid))
    for request_id in order:
        request = by_id[request_id]
        if left[request.a] <= 0 or left[request.b] <= 0:
            continue
        a_taken = taken.setdefault(request.a, set())
        b_taken = taken.setdefault(request.b, set())
        for slot in prepared.candidates[request_id]:
            if capacity[slot] > 0 and slot not in a_taken and slot not in b_taken:
                chosen[request_id] = slot
                capacity[slot] -= 1
                a_taken.add(slot)
                b_taken.add(slot)
                left[request.a] -= 1
                left[request.b] -= 1
                break
    return chosen


def _finish(prepared: _Prepared, chosen: dict[int, int], **info) -> Schedule:
    """Hand out tables per slot and give each left-out request its reason."""
    problem = prepared.problem
    used: dict[int, set[int]] = defaultdict(set)
    for meeting in problem.fixed:
        used[meeting.slot].add(meeting.table)
    free = {
        slot.id: [t for t in problem.tables if t not in used[slot.id]] for slot in problem.slots
    }
    assignments = [
        Assignment(request_id, slot, free[slot].pop(0))
        for request_id, slot in sorted(chosen.items())
    ]
    by_id = {request.id: request for request in problem.requests}
    meetings: dict[int, int] = defaultdict(int)  # person -> meetings scheduled for them
    for request_id in chosen:
        meetings[by_id[request_id].a] += 1
        meetings[by_id[request_id].b] += 1
    unscheduled = dict(prepared.unscheduled)
    for request_id in prepared.candidates:
        if request_id not in chosen:
            request = by_id[request_id]
            full = any(meetings[p] >= prepared.left[p] for p in (request.a, request.b))
            unscheduled[request_id] = Reason.LIMIT_REACHED if full else Reason.NO_ROOM
    return Schedule(assignments, unscheduled, **info)


def greedy(problem: Problem) -> Schedule:
    started = time.monotonic()
    prepared = _prepare(problem)
    chosen = _greedy_slots(prepared)
    return _finish(
        prepared, chosen, solver="greedy", status="greedy", seconds=time.monotonic() - started
    )


@dataclass
class Progress:
    """What a running solve has found so far; read from another thread (the task's)."""

    solutions: int = 0
    meetings: int = 0
    greedy_meetings: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "solutions": self.solutions,
                "meetings": self.meetings,
                "greedy_meetings": self.greedy_meetings,
                "seconds": round(self.seconds, 1),
            }


def _select(prepared: _Prepared, *, time_limit: float, workers: int, weighted: bool = True):
    """Which requests to meet, ignoring when: a degree-constrained subgraph (each person at
    most their free meetings, and free slots), by CP-SAT. Returns (selected ids, proven
    upper bound on how many). Count first, then preference (``weighted``)."""
    from ortools.sat.python import cp_model

    by_id = {request.id: request for request in prepared.problem.requests}
    model = cp_model.CpModel()
    chosen = {rid: model.new_bool_var(f"y{rid}") for rid in prepared.candidates}
    per_person: dict[int, list] = defaultdict(list)
    for rid, var in chosen.items():
        per_person[by_id[rid].a].append(var)
        per_person[by_id[rid].b].append(var)
    for person, vars_ in per_person.items():
        free = prepared.problem.people[person].slots - prepared.busy.get(person, set())
        cap = min(prepared.left[person], len(free))
        if len(vars_) > cap:
            model.add(cp_model.LinearExpr.sum(vars_) <= cap)
    bonus = [BONUS_SCALE * _preference(by_id[rid]) if weighted else 0 for rid in chosen]
    weight = sum(bonus) + 1
    model.maximize(
        cp_model.LinearExpr.weighted_sum(list(chosen.values()), [weight + b for b in bonus])
    )
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], len(chosen)
    selected = [rid for rid, var in chosen.items() if solver.boolean_value(var)]
    return selected, int(solver.best_objective_bound // weight)


def _place(prepared: _Prepared, order: list[int]) -> dict[int, int]:
    """Request -> slot for ``order`` (most constrained first is best): each in the common free
    slot with the most free tables, then next to the two sides' other meetings."""
    problem = prepared.problem
    by_id = {request.id: request for request in problem.requests}
    taken = defaultdict(set, {p: set(slots) for p, slots in prepared.busy.items()})
    left = dict(prepared.left)
    capacity = dict(prepared.capacity)
    neighbours: dict[int, tuple[int, ...]] = defaultdict(tuple)
    for before, after in zip(problem.slots, problem.slots[1:], strict=False):
        if before.day == after.day:
            neighbours[before.id] += (after.id,)
            neighbours[after.id] += (before.id,)
    chosen = {}
    for rid in order:
        request = by_id[rid]
        a, b = taken[request.a], taken[request.b]
        if left[request.a] <= 0 or left[request.b] <= 0:
            continue
        free = [
            s for s in prepared.candidates[rid] if capacity[s] > 0 and s not in a and s not in b
        ]
        if not free:
            continue
        slot = max(
            free,
            key=lambda s: (capacity[s], sum(n in a or n in b for n in neighbours[s]), -s),
        )
        chosen[rid] = slot
        capacity[slot] -= 1
        a.add(slot)
        b.add(slot)
        left[request.a] -= 1
        left[request.b] -= 1
    return chosen


def _value(prepared: _Prepared, chosen: dict[int, int]) -> tuple[int, int]:
    by_id = {request.id: request for request in prepared.problem.requests}
    return len(chosen), sum(_preference(by_id[rid]) for rid in chosen)


# The full model (one boolean per request and slot) is built only when this many variables
# can be built and searched in the time left (about 0.2 ms each to build on a busy core).
BUILD_SECONDS_PER_VARIABLE = 0.0002


def solve(
    problem: Problem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    progress: Progress | None = None,
    on_solution: Callable[[Progress], None] | None = None,
    gaps: bool = True,
) -> Schedule:
    """The best schedule found within ``time_limit`` seconds, in three steps, each keeping
    the best so far: (1) greedy, and CP-SAT choosing which requests to meet (counts and
    caps only), placed most-constrained first; (2) the full CP-SAT model (slots, tables,
    gaps), hinted with the best of step 1, for the time left."""
    from ortools.sat.python import cp_model

    started = time.monotonic()
    progress = progress or Progress()
    prepared = _prepare(problem)
    by_id = {request.id: request for request in problem.requests}
    greedy_chosen = _greedy_slots(prepared)
    with progress._lock:
        progress.greedy_meetings = progress.meetings = len(greedy_chosen)
    if not prepared.candidates:
        return _finish(prepared, {}, solver="cp-sat", status="optimal", seconds=0.0)
    selected, _bound = _select(prepared, time_limit=min(10.0, time_limit / 4), workers=workers)

    def tightness(rid):
        request = by_id[rid]
        return (
            len(prepared.candidates[rid]),
            min(prepared.left[request.a], prepared.left[request.b]),
            rid,
        )

    rest = sorted(set(prepared.candidates) - set(selected), key=tightness)
    placed = _place(prepared, sorted(selected, key=tightness) + rest)
    best = max(greedy_chosen, placed, key=lambda chosen: _value(prepared, chosen))
    with progress._lock:
        progress.meetings = len(best)
        progress.seconds = time.monotonic() - started
    if on_solution is not None:
        on_solution(progress)

    variables = sum(len(slots) for slots in prepared.candidates.values())
    remaining = time_limit - (time.monotonic() - started)
    if remaining < 1 + 2 * variables * BUILD_SECONDS_PER_VARIABLE:
        return _finish(
            prepared, best, solver="cp-sat", status="feasible",
            seconds=time.monotonic() - started, solutions=1,
        )  # fmt: skip

    model = cp_model.CpModel()
    x: dict[tuple[int, int], object] = {}
    per_person_slot: dict[tuple[int, int], list] = defaultdict(list)
    per_person: dict[int, list] = defaultdict(list)
    per_slot: dict[int, list] = defaultdict(list)
    preference_total = 0
    for request_id, slots in prepared.candidates.items():
        request = by_id[request_id]
        preference_total += BONUS_SCALE * _preference(request)
        for slot in slots:
            var = model.new_bool_var(f"x{request_id}_{slot}")
            x[request_id, slot] = var
            per_person_slot[request.a, slot].append(var)
            per_person_slot[request.b, slot].append(var)
            per_slot[slot].append(var)
        chosen_vars = [x[request_id, slot] for slot in slots]
        model.add_at_most_one(chosen_vars)
        per_person[request.a].extend(chosen_vars)
        per_person[request.b].extend(chosen_vars)
    for vars_ in per_person_slot.values():
        if len(vars_) > 1:
            model.add_at_most_one(vars_)
    for slot, vars_ in per_slot.items():
        if len(vars_) > prepared.capacity[slot]:
            model.add(cp_model.LinearExpr.sum(vars_) <= prepared.capacity[slot])
    for person, vars_ in per_person.items():
        if len(vars_) > prepared.left[person]:
            model.add(cp_model.LinearExpr.sum(vars_) <= prepared.left[person])

    # Runs of meetings per person and day: run[p, s] >= busy(p, s) - busy(p, previous slot).
    runs = []
    run_hints = []
    previous_of = {}
    for before, after in zip(problem.slots, problem.slots[1:], strict=False):
        if before.day == after.day:
            previous_of[after.id] = before.id
    hinted_busy = defaultdict(set, {p: set(slots) for p, slots in prepared.busy.items()})
    for rid, slot in best.items():
        hinted_busy[by_id[rid].a].add(slot)
        hinted_busy[by_id[rid].b].add(slot)
    for person, vars_ in per_person.items():
        if len(vars_) < 2 or not gaps:
            continue
        fixed_busy = prepared.busy.get(person, set())

        def busy(slot, person=person, fixed_busy=fixed_busy):
            if slot in fixed_busy:
                return 1
            return cp_model.LinearExpr.sum(per_person_slot.get((person, slot), []))

        for slot in problem.slots:
            if not per_person_slot.get((person, slot.id)):
                continue
            run = model.new_bool_var(f"run{person}_{slot.id}")
            previous = previous_of.get(slot.id)
            model.add(run >= busy(slot.id) - (busy(previous) if previous else 0))
            runs.append(run)
            mine = hinted_busy[person]
            run_hints.append((run, slot.id in mine and previous not in mine))
    meeting_weight = preference_total + len(runs) + 1
    weights = [meeting_weight + BONUS_SCALE * _preference(by_id[rid]) for rid, _slot in x]
    model.maximize(
        cp_model.LinearExpr.weighted_sum([*x.values(), *runs], [*weights, *([-1] * len(runs))])
    )
    for (request_id, slot), var in x.items():
        model.add_hint(var, best.get(request_id) == slot)
    for run, value in run_hints:
        model.add_hint(run, value)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.monotonic() - started))
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 1
    # Symmetry detection and probing take most of the time on big events, for no gain.
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0

    class Callback(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            with progress._lock:
                progress.solutions += 1
                # objective = n * weight + preferences - runs, both smaller than the weight
                progress.meetings = int(self.objective_value + len(runs)) // meeting_weight
                progress.seconds = time.monotonic() - started
            if on_solution is not None:
                on_solution(progress)

    status = solver.solve(model, Callback())
    elapsed = time.monotonic() - started
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _finish(prepared, best, solver="cp-sat", status="feasible", seconds=elapsed)
    chosen = {
        request_id: slot for (request_id, slot), var in x.items() if solver.boolean_value(var)
    }
    if _value(prepared, chosen)[0] < len(best):  # never worse than the start
        chosen, status = best, cp_model.FEASIBLE
    with progress._lock:
        progress.meetings = len(chosen)
        progress.seconds = elapsed
    return _finish(
        prepared,
        chosen,
        solver="cp-sat",
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
        seconds=elapsed,
        solutions=progress.solutions,
    )


def upper_bound(problem: Problem, *, time_limit: float = 20.0, workers: int = 2) -> int:
    """More meetings than this cannot fit, whatever the solver: the least of (a) the most
    requests that can be met when only each person's cap and free slots count (CP-SAT's
    proven bound on that relaxation), and (b) the free seats per slot: its free tables, and
    half the people free in it."""
    prepared = _prepare(problem)
    _selected, by_caps = _select(prepared, time_limit=time_limit, workers=workers, weighted=False)
    free_people: dict[int, int] = defaultdict(int)
    for person in problem.people.values():
        for slot in person.slots - prepared.busy.get(person.id, set()):
            free_people[slot] += 1
    per_slot = sum(
        min(prepared.capacity[slot.id], free_people[slot.id] // 2) for slot in problem.slots
    )
    return min(by_caps, per_slot)
