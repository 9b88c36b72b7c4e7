"""Outcomes of one run, computed from the model's ledger and its counterfactual run.

The names are the contract (docs/outcomes in the README); ``nan`` means "not defined for
this run" (e.g. the abort share when nothing was funded), never "zero".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simpolicy.model.model import PolicyModel

NAN = math.nan
STUCK_AGE_MONTHS = 24
SUBSTANTIAL_COMPLEXITY = 0.5  # developments in the upper half of complexity: "substantial"

OUTCOMES = (
    "projects_funded", "projects_started", "projects_completed", "projects_aborted",
    "abort_share", "stuck_share", "support_per_project_eur", "programme_spend_eur",
    "adopters", "adoptions_per_solution", "solutions_scaled", "followers", "months_to_spread",
    "deadweight_share", "additional_adoptions", "public_eur_per_adoption",
    "private_eur_per_public_eur", "small_buyer_share", "sme_contract_share",
    "first_of_kind_share", "transfer_share", "budget_use_share", "buyers_innovating",
    "contracts_per_project", "follow_on_sales_eur",
)
EXTRA = (
    "buyers_in_scheme", "substantial_innovations", "abort_share_rushed",
    "abort_share_thorough", "solutions_unscaled", "diffusion_grants", "joint_processes",
    "budget_granted_eur", "budget_ceiling_eur", "contracts_per_pcp", "adoptions_per_scheme_solution",
)


def ratio(num: float, den: float) -> float:
    """num / den, or nan when the denominator is zero (the share is not defined)."""
    return num / den if den else NAN


def _abort_share(projects) -> float:
    done = [p for p in projects if p.status == "aborted" or p.completed_month >= 0]
    return ratio(sum(p.status == "aborted" for p in done), len(done))


@dataclass(frozen=True)
class Baseline:
    """What outcomes need from the counterfactual run: its starts and its adopters."""

    started_needs: frozenset[int]
    adopters: int

    @classmethod
    def of(cls, m: PolicyModel) -> Baseline:
        return cls(frozenset(m.ledger.started_needs), len(m.ledger.adopters))


def summarise(m: PolicyModel, cf: Baseline) -> dict[str, float]:
    """All outcomes of a run against its counterfactual (same seed, no scheme)."""
    led, prog = m.ledger, m.programme
    funded = [p for p in m.projects if p.funded]
    n_funded = len(funded) + len(led.prizes)
    granted = sum(p.public_money for p in funded) + sum(led.prizes)
    spend = prog.spent
    ceiling = sum(s.budget_over(m.months) for s in prog.instruments)
    granted_all = sum(s.granted for s in prog.instruments)

    developed = [s for s in m.diffusion.solutions if s.origin == "developed"]
    in_run = _adoptions_by_solution(m)
    reach = [len(in_run.get(s.id, ())) for s in developed]
    scheme_made = [len(in_run.get(p.solution, ())) for p in m.projects
                   if p.solution >= 0 and (p.funded or p.joint)]
    scaled = [months for months in in_run.values() if len(months) >= 3]
    spread = [sorted(months)[2] - sorted(months)[0] for months in scaled]
    old = [p for p in m.projects if 0 <= p.completed_month <= m.months - STUCK_AGE_MONTHS]
    stuck = sum(1 for p in old if not m.diffusion.solutions[p.solution].adopters)
    dev_projects = [p for p in funded if p.route == "development" and p.contracts > 0]
    contracts = sum(p.contracts for p in m.projects)
    adoptions = led.adoptions
    additional = len(led.adopters) - cf.adopters
    out = {
        "projects_funded": n_funded,
        "projects_started": led.n_started,
        "projects_completed": led.n_completed,
        "projects_aborted": led.n_aborted,
        "abort_share": _abort_share(funded),
        "stuck_share": ratio(stuck, len(old)),
        "support_per_project_eur": ratio(granted, n_funded),
        "programme_spend_eur": spend,
        "adopters": len(led.adopters),
        "adoptions_per_solution": float(np.mean(reach)) if reach else NAN,
        "solutions_scaled": len(scaled),
        "followers": led.n_followers,
        "months_to_spread": float(np.mean(spread)) if spread else NAN,
        "deadweight_share": ratio(sum(p.need.id in cf.started_needs for p in funded),
                                  len(funded)),
        "additional_adoptions": additional,
        "public_eur_per_adoption": spend / additional if additional > 0 and spend else NAN,
        "private_eur_per_public_eur": ratio(sum(p.supplier_invest for p in funded), spend),
        "small_buyer_share": ratio(sum(m.buyers.small[p.need.buyer] for p in funded), len(funded)),
        "sme_contract_share": ratio(sum(p.sme_contracts for p in m.projects), contracts),
        "first_of_kind_share": ratio(sum(a.first_of_kind for a in adoptions), len(adoptions)),
        "transfer_share": ratio(sum(any(g.itype == "purchase_cofinancing" for g in p.grants)
                                    for p in funded), n_funded),
        "budget_use_share": ratio(granted_all, ceiling),
        "buyers_innovating": len(led.innovating),
        "contracts_per_project": ratio(sum(p.contracts for p in dev_projects), len(dev_projects)),
        "follow_on_sales_eur": sum(a.price for a in adoptions if a.via != "own"),
        "buyers_in_scheme": len(led.in_scheme),
        "substantial_innovations": sum(1 for p in m.projects if (p.funded or p.joint)
                                       and p.completed_month >= 0
                                       and p.need.complexity >= SUBSTANTIAL_COMPLEXITY),
        "abort_share_rushed": _abort_share([p for p in funded if p.rushed]),
        "abort_share_thorough": _abort_share([p for p in funded if not p.rushed]),
        "solutions_unscaled": len(in_run) - len(scaled),
        "diffusion_grants": led.diffusion_grants,
        "joint_processes": led.joint_processes,
        "adoptions_per_scheme_solution": float(np.mean(scheme_made)) if scheme_made else NAN,
        "contracts_per_pcp": ratio(sum(p.contracts for p in dev_projects if p.pcp or p.partnership),
                                   sum(1 for p in dev_projects if p.pcp or p.partnership)),
        "budget_granted_eur": granted_all,
        "budget_ceiling_eur": ceiling,
    }
    for st in prog.instruments:
        out[f"applications_{st.id}"] = st.applications
        out[f"awards_{st.id}"] = sum(1 for p in funded if any(g.instrument == st.id for g in p.grants))
    return {k: float(v) for k, v in out.items()}


def _adoptions_by_solution(m: PolicyModel) -> dict[int, list[int]]:
    by: dict[int, list[int]] = {}
    for a in m.ledger.adoptions:
        by.setdefault(a.solution, []).append(a.month)
    return by
