"""Why a plan is infeasible: which limits cannot be met together, and by how much."""

from __future__ import annotations

import math

import numpy as np

from microscout.plan.mip import _CENT_SLACK, PlanProblem, _highs, _lp

__all__ = ["explain_infeasible"]


def explain_infeasible(problem: PlanProblem) -> list[str]:
    """Which limits cannot be met together, and by how much (one line each).

    Simple checks come first (a market with too few candidates, minimums that cost more than the
    budget); when none of them explains it, an elastic version of the model — every limit may be
    broken at a price — says which limits have to give way and by how much.
    """
    money = problem.money
    counts: list[str] = []  # not enough candidates
    totals: list[str] = []  # the whole plan: budget and creator count
    spends: list[str] = []  # one group's spend limits
    cost = problem.cost
    n = problem.n
    if problem.min_count is not None and problem.min_count > n:
        counts.append(f"the plan needs at least {problem.min_count} creators but only {n} candidates pass the filters")
    floor_cost = 0.0
    floor_count = 0
    markets = [g for g in problem.groups if g.kind == "market"]
    for g in problem.groups:
        k = len(g.members)
        need = g.min_count or 0
        member_costs = np.sort(cost[g.members])
        if need > k:
            counts.append(
                f"{g.label} needs {need} creators but only {k} candidate{'s' if k != 1 else ''} pass the filters"
            )
        if need and need <= k and g.max_spend is not None and member_costs[:need].sum() > g.max_spend + _CENT_SLACK:
            spends.append(
                f"{g.label}: its {need} cheapest candidates cost {money(member_costs[:need].sum())} "
                f"> its spend cap {money(g.max_spend)} ({g.why})"
            )
        if g.min_spend is not None:
            top = member_costs[::-1][: g.max_count] if g.max_count is not None else member_costs
            reachable = min(float(top.sum()), g.max_spend if g.max_spend is not None else math.inf, problem.budget)
            if reachable < g.min_spend - _CENT_SLACK:
                spends.append(
                    f"{g.label} must spend at least {money(g.min_spend)} ({g.why}) "
                    f"but its candidates can take at most {money(reachable)}"
                )
        if g.kind == "market":
            floor_cost += max(float(member_costs[: min(need, k)].sum()), g.min_spend or 0.0)
            floor_count += need
    if markets and floor_cost > problem.budget + _CENT_SLACK:
        totals.append(
            f"the market minimums cost at least {money(floor_cost)} > budget {money(problem.budget)} "
            f"(short by {money(floor_cost - problem.budget)})"
        )
    if problem.max_count is not None and floor_count > problem.max_count:
        totals.append(f"the market minimums add up to {floor_count} creators > the maximum of {problem.max_count}")
    if problem.min_count is not None and n >= problem.min_count:
        cheapest = float(np.sort(cost)[: problem.min_count].sum())
        if cheapest > problem.budget + _CENT_SLACK:
            totals.append(
                f"the {problem.min_count} cheapest candidates cost {money(cheapest)} > budget {money(problem.budget)}"
            )
    share_floor = sum(g.min_spend or 0.0 for g in markets)
    if share_floor > problem.budget + _CENT_SLACK:
        totals.append(f"the market spend floors add up to {money(share_floor)} > budget {money(problem.budget)}")
    out = counts + totals + spends
    if out:
        return out
    return _elastic(problem)


def _elastic(problem: PlanProblem) -> list[str]:
    """Solve with every limit elastic; report the limits that had to give way."""
    h = _highs()
    h.setOptionValue("mip_rel_gap", 1e-3)
    h.setOptionValue("time_limit", 30.0)
    lp, names, _ = _lp(problem, slack=True)
    h.passModel(lp)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return ["no combination of candidates meets the limits (the solver found no way to relax them)"]
    values = np.asarray(h.getSolution().col_value)
    start = problem.n + len(problem.pair_i)
    out = []
    for k, name in enumerate(names):
        below, above = values[start + 2 * k], values[start + 2 * k + 1]
        amount = max(below, above)
        if amount <= 1e-6:
            continue
        spend = name == "budget" or name.endswith("spend")
        size = problem.money(amount) if spend else f"{math.ceil(amount - 1e-6)} creator(s)"
        out.append(f"{name}: cannot be met together with the other limits; short by {size}")
    return out or ["the limits cannot all be met together (the elastic model found no single culprit)"]
