"""The scheduler on plain data (no database): every schedule keeps every rule, pinned
meetings never move, one more table never schedules fewer, and a left-out request says why."""

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaking.events import scheduler
from matchmaking.events.scheduler import Fixed, Person, Problem, Reason, Request, Slot


@st.composite
def problems(draw, *, with_fixed=True):
    days = draw(st.integers(1, 2))
    per_day = draw(st.integers(1, 4))
    slots = tuple(Slot(day * per_day + i + 1, day) for day in range(days) for i in range(per_day))
    slot_ids = [slot.id for slot in slots]
    tables = tuple(range(1, draw(st.integers(1, 3)) + 1))
    people = {}
    for pid in range(1, draw(st.integers(2, 7)) + 1):
        attended = draw(st.frozensets(st.sampled_from(slot_ids), min_size=1))
        people[pid] = Person(pid, attended, draw(st.integers(1, len(slot_ids))))
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(list(people)), st.sampled_from(list(people))).filter(
                lambda p: p[0] < p[1]
            ),
            unique=True,
            max_size=12,
        )
    )
    requests = tuple(
        Request(n, a, b, draw(st.booleans()), draw(st.integers(0, 100)))
        for n, (a, b) in enumerate(pairs, start=1)
    )
    fixed = []
    if with_fixed:
        busy, used = set(), set()
        for request in requests:
            if not draw(st.booleans()) or len(fixed) >= 3:
                continue
            slot, table = draw(st.sampled_from(slot_ids)), draw(st.sampled_from(tables))
            sides = {(slot, request.a), (slot, request.b)}
            if sides & busy or (slot, table) in used:
                continue
            busy |= sides
            used.add((slot, table))
            fixed.append(Fixed(request.id, request.a, request.b, slot, table))
    return Problem(slots, tables, people, requests, tuple(fixed))


def violations(problem: Problem, schedule: scheduler.Schedule) -> list[str]:
    """Every rule a schedule must keep, checked independently of the solver."""
    found = []
    by_id = {r.id: r for r in problem.requests}
    fixed_ids = {f.request_id for f in problem.fixed}
    meetings = [(f.request_id, f.slot, f.table) for f in problem.fixed] + [
        (a.request_id, a.slot, a.table) for a in schedule.assignments
    ]
    ids = [m[0] for m in meetings]
    if len(ids) != len(set(ids)):
        found.append("a request met twice")
    seats, tables, counts = Counter(), Counter(), Counter()
    for request_id, slot, table in meetings:
        request = by_id[request_id]
        tables[slot, table] += 1
        if table not in problem.tables:
            found.append(f"unknown table {table}")
        for person in (request.a, request.b):
            seats[slot, person] += 1
            counts[person] += 1
            if request_id not in fixed_ids and slot not in problem.people[person].slots:
                found.append(f"{person} unavailable at {slot}")
    found += [f"{k} double-booked" for k, n in seats.items() if n > 1]
    found += [f"table {k} used twice" for k, n in tables.items() if n > 1]
    found += [
        f"{p} over their cap"
        for p, n in counts.items()
        if n > problem.people[p].max_meetings
        and n > sum(1 for f in problem.fixed if p in (f.a, f.b))
    ]
    scheduled = {a.request_id for a in schedule.assignments}
    for request in problem.requests:
        if request.id not in fixed_ids and request.id not in scheduled:
            if request.id not in schedule.unscheduled:
                found.append(f"request {request.id} neither scheduled nor explained")
    return found


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_every_schedule_keeps_every_rule(problem):
    for schedule in (scheduler.solve(problem, time_limit=10, workers=1), scheduler.greedy(problem)):
        assert violations(problem, schedule) == []


@SETTINGS
@given(problems())
def test_pinned_meetings_never_move(problem):
    schedule = scheduler.solve(problem, time_limit=10, workers=1)
    fixed_ids = {f.request_id for f in problem.fixed}
    assert not fixed_ids & {a.request_id for a in schedule.assignments}
    assert not fixed_ids & set(schedule.unscheduled)
    fixed_places = {(f.slot, f.table) for f in problem.fixed}
    assert not fixed_places & {(a.slot, a.table) for a in schedule.assignments}


@SETTINGS
@given(problems())
def test_one_more_table_never_schedules_fewer(problem):
    before = scheduler.solve(problem, time_limit=10, workers=1)
    more = Problem(
        problem.slots, (*problem.tables, max(problem.tables) + 1), problem.people,
        problem.requests, problem.fixed,
    )  # fmt: skip
    after = scheduler.solve(more, time_limit=10, workers=1)
    assert before.status == after.status == "optimal"
    assert after.count >= before.count


@SETTINGS
@given(problems(with_fixed=False))
def test_the_solver_schedules_at_least_the_greedy_and_at_most_the_bound(problem):
    solved = scheduler.solve(problem, time_limit=10, workers=1)
    assert scheduler.greedy(problem).count <= solved.count <= scheduler.upper_bound(problem)


def test_mutual_and_higher_scored_requests_win_when_not_everything_fits():
    slots = (Slot(1, 0),)
    people = {p: Person(p, frozenset({1}), 1) for p in (1, 2, 3)}
    requests = (
        Request(1, 1, 2, False, 90),
        Request(2, 1, 3, True, 50),  # 50 + mutual 50 beats 90
        Request(3, 2, 3, False, 80),
    )
    schedule = scheduler.solve(Problem(slots, (1,), people, requests), time_limit=5, workers=1)
    assert [a.request_id for a in schedule.assignments] == [2]
    assert schedule.unscheduled == {1: Reason.LIMIT_REACHED, 3: Reason.LIMIT_REACHED}


def test_fewer_idle_gaps_are_preferred():
    slots = tuple(Slot(i, 0) for i in (1, 2, 3))
    people = {
        1: Person(1, frozenset({1, 2, 3}), 2),
        2: Person(2, frozenset({1, 3}), 3),
        3: Person(3, frozenset({2, 3}), 3),
    }
    requests = (Request(1, 1, 2), Request(2, 1, 3))
    schedule = scheduler.solve(Problem(slots, (1,), people, requests), time_limit=5, workers=1)
    placed = {a.request_id: a.slot for a in schedule.assignments}
    # 1 meets 2 at slot 1 and 3 at slot 2 (back to back), not 3 at slot 3 (a gap).
    assert placed == {1: 1, 2: 2}


def test_no_common_time_is_the_reason_given():
    slots = (Slot(1, 0), Slot(2, 0))
    people = {1: Person(1, frozenset({1}), 2), 2: Person(2, frozenset({2}), 2)}
    schedule = scheduler.solve(Problem(slots, (1,), people, (Request(1, 1, 2),)), time_limit=5)
    assert schedule.unscheduled == {1: Reason.NO_COMMON_TIME}
