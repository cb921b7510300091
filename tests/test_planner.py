"""The plan MIP: feasible and optimal on random instances (checked by enumeration), at least as good
as greedy, unchanged by the dominance reduction, and infeasibility explained."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microscout.plan.mip import Group, PlanProblem, dominated, explain_infeasible, greedy, solve


@st.composite
def problems(draw) -> PlanProblem:
    n = draw(st.integers(1, 9))
    value = np.array(draw(st.lists(st.integers(1, 500), min_size=n, max_size=n)), dtype=float)
    cost = np.array(draw(st.lists(st.integers(100, 5000), min_size=n, max_size=n)), dtype=float) / 100
    budget = draw(st.integers(100, 20_000)) / 100
    market = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    groups = []
    for k in range(3):
        members = np.flatnonzero(market == k)
        low = draw(st.one_of(st.none(), st.integers(0, 3)))
        high = draw(st.one_of(st.none(), st.integers(low or 0, 5)))
        share = draw(st.one_of(st.none(), st.floats(0.05, 0.9)))
        min_spend = max_spend = None
        if share is not None:
            min_spend, max_spend = round(max(0.0, share - 0.1) * budget, 2), round(min(1.0, share + 0.1) * budget, 2)
        groups.append(Group("market", f"M{k}", members, low, high, min_spend, max_spend, "share"))
    if n > 1 and draw(st.booleans()):
        members = np.array(sorted(set(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n)))))
        groups.append(Group("niche", "beauty", members, None, draw(st.integers(0, 3))))
    pairs = sorted(
        {
            tuple(sorted(p))
            for p in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
            if p[0] != p[1]
        }
    )
    pi = np.array([p[0] for p in pairs], dtype=np.int64)
    pj = np.array([p[1] for p in pairs], dtype=np.int64)
    pw = np.array(draw(st.lists(st.integers(0, 300), min_size=len(pairs), max_size=len(pairs))), dtype=float)
    min_count = draw(st.one_of(st.none(), st.integers(0, 4)))
    max_count = draw(st.one_of(st.none(), st.integers(max(min_count or 0, 1), 7)))
    return PlanProblem(value, cost, budget, min_count, max_count, groups, pi, pj, pw)


def _best(problem: PlanProblem) -> float | None:
    best = None
    for k in range(problem.n + 1):
        for combo in itertools.combinations(range(problem.n), k):
            picked = np.array(combo, dtype=np.int64)
            if not problem.violations(picked):
                value = problem.objective(picked)
                best = value if best is None else max(best, value)
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_solver_is_feasible_optimal_and_at_least_greedy(problem):
    best = _best(problem)
    result = solve(problem, gap=1e-6)
    rule = greedy(problem)
    if best is None:
        assert not result.has_solution and result.status == "infeasible"
        assert explain_infeasible(problem)
        assert not rule.feasible
        return
    assert result.status == "optimal"
    assert problem.violations(result.picked) == []
    assert result.objective >= best - 1e-6 * max(1.0, abs(best))
    assert result.objective <= best + 1e-6 * max(1.0, abs(best))
    if rule.feasible:
        assert problem.violations(rule.picked) == []
        assert result.objective >= rule.objective - 1e-6
    else:
        assert rule.unmet == problem.violations(rule.picked) != []


@settings(max_examples=40, deadline=None)
@given(problems())
def test_dominance_reduction_keeps_the_optimum(problem):
    full = solve(problem, gap=1e-6, reduce=False)
    reduced = solve(problem, gap=1e-6, reduce=True)
    assert full.has_solution == reduced.has_solution
    if full.has_solution:
        assert abs(full.objective - reduced.objective) <= 1e-6 * max(1.0, abs(full.objective))


def test_dominated_candidates_are_removed_when_enough_better_ones_exist():
    # one market taking at most 2: candidate 3 is beaten on value and cost by 0, 1 and 2
    problem = PlanProblem(
        value=np.array([10.0, 9.0, 8.0, 5.0]),
        cost=np.array([1.0, 1.0, 1.0, 2.0]),
        budget=100,
        groups=[Group("market", "DE", np.arange(4), None, 2)],
    )
    assert dominated(problem).tolist() == [False, False, True, True]
    # a large overlap penalty between two dominators: net of it they no longer beat 2 and 3
    problem.pair_i, problem.pair_j, problem.pair_w = np.array([0]), np.array([1]), np.array([6.0])
    assert dominated(problem).tolist() == [False, False, False, False]


def test_market_minimums_and_budget_shares_are_honoured():
    rng = np.random.default_rng(3)
    n = 300
    market = rng.integers(0, 3, n)
    value = rng.uniform(10, 1000, n)
    cost = np.round(rng.uniform(20, 400, n), 2)
    groups = [
        Group("market", "BR", np.flatnonzero(market == 0), 5, None, 0.25 * 5000, 0.35 * 5000, "budget_share 0.30"),
        Group("market", "DE", np.flatnonzero(market == 1), 3, 4),
        Group("market", "ID", np.flatnonzero(market == 2), None, 6),
    ]
    problem = PlanProblem(value, cost, 5000.0, None, 25, groups)
    result = solve(problem)
    assert result.status == "optimal" and result.gap <= 1e-3
    picked = set(result.picked.tolist())
    assert problem.violations(result.picked) == []
    br = [i for i in groups[0].members.tolist() if i in picked]
    assert len(br) >= 5 and 1250 - 0.01 <= cost[br].sum() <= 1750 + 0.01
    assert 3 <= sum(i in picked for i in groups[1].members.tolist()) <= 4
    assert cost[result.picked].sum() <= 5000
    assert result.objective >= greedy(problem).objective


def test_infeasible_briefs_are_explained_with_amounts():
    cost = np.array([300.0, 400.0, 500.0, 600.0])
    problem = PlanProblem(
        value=np.ones(4),
        cost=cost,
        budget=800,
        groups=[
            Group("market", "DE", np.array([0]), 3),
            Group("market", "BR", np.array([1, 2, 3]), 2),
        ],
        money=lambda v: f"€{v:,.2f}",
    )
    lines = explain_infeasible(problem)
    assert "market DE needs 3 creators but only 1 candidate pass the filters" in lines
    assert "the market minimums cost at least €1,200.00 > budget €800.00 (short by €400.00)" in lines
    assert not solve(problem).has_solution


def test_infeasibility_without_a_simple_cause_is_found_by_the_elastic_model():
    # each market alone is fine; a platform cap across them is not
    problem = PlanProblem(
        value=np.ones(4),
        cost=np.ones(4),
        budget=100,
        groups=[
            Group("market", "DE", np.array([0, 1]), 2),
            Group("market", "BR", np.array([2, 3]), 2),
            Group("platform", "instagram", np.arange(4), None, 3),
        ],
    )
    lines = explain_infeasible(problem)
    assert len(lines) == 1 and "short by 1 creator(s)" in lines[0]


def test_lp_guided_shortcut_agrees_with_the_plain_mip():
    rng = np.random.default_rng(11)
    n = 400
    market = rng.integers(0, 4, n)
    value = rng.lognormal(5, 1, n)
    cost = np.round(value / rng.lognormal(0, 0.5, n) + 20, 2)
    groups = [Group("market", f"M{k}", np.flatnonzero(market == k), 2 + k % 2, 8) for k in range(4)]
    pairs = sorted({tuple(sorted(p)) for p in rng.integers(0, n, (300, 2)).tolist() if p[0] != p[1]})
    pi = np.array([p[0] for p in pairs])
    pj = np.array([p[1] for p in pairs])
    pw = rng.uniform(0.1, 0.5, len(pairs)) * np.minimum(value[pi], value[pj])
    problem = PlanProblem(value, cost, 3000.0, None, 20, groups, pi, pj, pw)
    fast = solve(problem)
    exact = solve(problem, gap=1e-9, reduce=False, lp_first=False)
    assert fast.status == exact.status == "optimal"
    assert problem.violations(fast.picked) == []
    assert fast.objective >= exact.objective * (1 - 1e-3)
    assert fast.bound >= exact.objective - 1e-6  # the reported bound is a valid upper bound
