"""Planning: choose creators under a budget with per-market, niche and platform limits and an
audience-overlap penalty (a mixed-integer program solved by HiGHS), compare with the greedy choice,
forecast the outcome with 80 % intervals, and save the plan for tracking.

* :mod:`microscout.plan.candidates` — :func:`candidates_for_plan`: the brief's candidates, priced and
  forecast;
* :mod:`microscout.plan.mip` — the problem, the solver, the greedy rule, infeasibility explained;
* :mod:`microscout.plan.planner` — :func:`plan_brief` and :func:`save_plan`.
"""

from __future__ import annotations

from microscout.plan.candidates import Candidates, candidates_for_plan
from microscout.plan.mip import Group, PlanProblem, explain_infeasible, greedy, solve
from microscout.plan.planner import PlanOptions, PlanResult, build_problem, plan_brief, save_plan

__all__ = [
    "Candidates",
    "Group",
    "PlanOptions",
    "PlanProblem",
    "PlanResult",
    "build_problem",
    "candidates_for_plan",
    "explain_infeasible",
    "greedy",
    "plan_brief",
    "save_plan",
    "solve",
]
