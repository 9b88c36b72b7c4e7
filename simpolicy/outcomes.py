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
    "services_cost_eur", "public_money_eur",
    "adopters", "adoptions_per_solution", "solutions_scaled", "followers", "months_to_spread",
    "deadweight_share", "deadweight_eur_share", "additional_adopters",
    "public_eur_per_additional_adopter", "adopters_existing_products",
    "private_eur_per_public_eur", "small_buyer_share", "sme_contract_share",
    "first_of_kind_share", "transfer_share", "budget_use_share", "buyers_innovating",
    "contracts_per_project", "follow_on_sales_eur", "loan_repaid_eur",
    "supplier_survival_share", "first_time_supplier_share",
)
ALIASES = {  # old name -> new name, kept for one release (README, contract changes)
    "additional_adoptions": "additional_adopters",
    "public_eur_per_adoption": "public_eur_per_additional_adopter",
}
EXTRA = (
    "buyers_in_scheme", "substantial_innovations", "abort_share_rushed",
    "abort_share_thorough", "solutions_unscaled", "diffusion_grants", "joint_processes",
    "budget_granted_eur", "budget_ceiling_eur", "contracts_per_pcp", "adoptions_per_scheme_solution",
    "retenders_lost", "buyers_own_money_eur", "loan_due_after_horizon_eur",
    "supplier_entrants", "suppliers_active",
    *ALIASES,  # reported under the old names too, for one release
)


def ratio(num: float, den: float) -> float:
    """num / den, or nan when the denominator is zero (the share is not defined)."""
    return num / den if den else NAN


def _abort_share(projects) -> float:
    done = [p for p in projects if p.status == "aborted" or p.completed_month >= 0]
    return ratio(sum(p.status == "aborted" for p in done), len(done))


@dataclass(frozen=True)
class Baseline:
    """What outcomes need from the counterfactual run: what started and who adopted what."""

    started_needs: frozenset[int]
    adopters: int  # buyers that adopted a new solution
    adoptions: frozenset[tuple[int, int]]  # (buyer, solution key) of every adoption

    @classmethod
    def of(cls, m: PolicyModel) -> Baseline:
        led = m.ledger
        return cls(frozenset(led.started_needs), len(led.adopters),
                   frozenset((a.buyer, a.key) for a in led.adoptions))


def _grant_projects(m: PolicyModel) -> list:
    """Projects the scheme awarded money to (funded means awarded, ODD 7.10)."""
    return [p for p in m.projects if p.funded]


def deadweight_eur(m: PolicyModel, cf: Baseline, funded: list | None = None) -> float:
    """Public euros paid for what happened without the scheme too (ODD 7.10).

    Grants to projects whose need started in the counterfactual; prizes on needs that
    started a project there; scaling grants for purchases (buyer, solution) made there; the
    running cost of a joint process in the share of the needs it took that started there.
    The competence centre's cost is not attributed (it acts on every buyer).
    """
    led = m.ledger
    funded = _grant_projects(m) if funded is None else funded
    out = sum(g.paid for p in funded if p.need.id in cf.started_needs for g in p.grants)
    out += sum(eur for _, eur, need in led.prizes if need in cf.started_needs)
    out += sum(eur for _, row, key, eur in led.scaling if (row, key) in cf.adoptions)
    for st in m.programme.instruments:
        taken = [need for proc, need in led.joint_needs if proc == st.id]
        if taken:
            cost = m.money.paid_by_actor("service", st.id)
            out += cost * sum(n in cf.started_needs for n in taken) / len(taken)
    return out


def summarise(m: PolicyModel, cf: Baseline) -> dict[str, float]:
    """All outcomes of a run against its counterfactual (same seed, no scheme)."""
    led, prog, firms = m.ledger, m.programme, m.firms
    funded = _grant_projects(m)
    n_funded = len(funded) + len(led.prizes)
    awarded = sum(g.awarded for p in funded for g in p.grants) + sum(e for _, e, _ in led.prizes)
    spend = prog.spent
    services = m.services_cost()
    fin = m.finance
    repaid = fin.repaid if fin is not None else 0.0  # loans repaid to the scheme (ODD 7.14)
    paid_out = spend + services
    public = paid_out - repaid  # what the scheme cost, net of what came back
    grants = [s for s in prog.instruments if s.type != "joint_process"]
    ceiling = sum(s.budget_over(m.months) for s in grants)
    granted_all = sum(s.granted for s in grants)

    sols = m.diffusion.solutions
    developed = [s for s in sols if s.origin == "developed"]
    new = [a for a in led.adoptions if a.new]
    in_run = _adoptions_by_solution(new)
    reach = [len(in_run.get(s.id, ())) for s in developed]
    in_funded = {id(p) for p in funded}  # ``Project.funded`` read once per project
    scheme_made = [len(in_run.get(p.solution, ())) for p in m.projects
                   if p.solution >= 0 and (id(p) in in_funded or p.joint)]
    scaled = [months for months in in_run.values() if len(months) >= 3]
    spread = [sorted(months)[2] - sorted(months)[0] for months in scaled]
    old = [p for p in m.projects if 0 <= p.completed_month <= m.months - STUCK_AGE_MONTHS]
    stuck = sum(1 for p in old if p.solution < 0 or not sols[p.solution].adopters)
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
        "support_per_project_eur": ratio(awarded, n_funded),
        "programme_spend_eur": spend,
        "services_cost_eur": services,
        "public_money_eur": public,
        "adopters": len(led.adopters),
        "adoptions_per_solution": float(np.mean(reach)) if reach else NAN,
        "solutions_scaled": len(scaled),
        "followers": led.n_followers,
        "months_to_spread": float(np.mean(spread)) if spread else NAN,
        "deadweight_share": ratio(sum(p.need.id in cf.started_needs for p in funded), len(funded)),
        "deadweight_eur_share": ratio(deadweight_eur(m, cf, funded), paid_out),
        "additional_adopters": additional,
        "public_eur_per_additional_adopter": public / additional if additional > 0 and public else NAN,
        "adopters_existing_products": len(led.adopters_existing),
        "private_eur_per_public_eur": ratio(sum(p.supplier_invest for p in funded), paid_out),
        "small_buyer_share": ratio(sum(m.buyers.small[p.need.buyer] for p in funded), len(funded)),
        "sme_contract_share": ratio(sum(p.sme_contracts for p in m.projects), contracts),
        "first_of_kind_share": ratio(sum(a.first_of_kind for a in adoptions), len(adoptions)),
        "transfer_share": ratio(sum(any(g.itype == "purchase_cofinancing" for g in p.grants)
                                    for p in funded), n_funded),
        "budget_use_share": ratio(granted_all, ceiling),
        "buyers_innovating": len(led.innovating),
        "contracts_per_project": ratio(sum(p.contracts for p in dev_projects), len(dev_projects)),
        "follow_on_sales_eur": sum(a.price for a in new if a.via != "own"),
        "loan_repaid_eur": repaid,
        "loan_due_after_horizon_eur": fin.after_horizon if fin is not None else 0.0,
        "buyers_in_scheme": len(led.in_scheme),
        "substantial_innovations": sum(1 for p in m.projects if (id(p) in in_funded or p.joint)
                                       and p.completed_month >= 0
                                       and p.need.complexity >= SUBSTANTIAL_COMPLEXITY),
        "abort_share_rushed": _abort_share([p for p in funded if p.rushed]),
        "abort_share_thorough": _abort_share([p for p in funded if not p.rushed]),
        "solutions_unscaled": len(in_run) - len(scaled),
        "diffusion_grants": len(led.scaling),
        "joint_processes": led.joint_processes,
        "adoptions_per_scheme_solution": float(np.mean(scheme_made)) if scheme_made else NAN,
        "contracts_per_pcp": ratio(sum(p.contracts for p in dev_projects if p.pcp or p.partnership),
                                   sum(1 for p in dev_projects if p.pcp or p.partnership)),
        "budget_granted_eur": granted_all,
        "budget_ceiling_eur": ceiling,
        "retenders_lost": sum(p.lost_to_retender for p in m.projects),
        # what buyers paid from their own annual budgets (projects, purchases, loan
        # repayments), less grants paid after the fact back to them: against the
        # counterfactual, the budgets a scheme draws into co-financing
        "buyers_own_money_eur": m.money.paid_by("buyer") - m.money.reimbursed,
        # suppliers that learn, enter and leave (ODD 7.17)
        "supplier_survival_share": firms.survival_share(),
        "first_time_supplier_share": ratio(firms.first_time, firms.awarded),
        "supplier_entrants": firms.entrants,
        "suppliers_active": int(firms.active.sum()),
    }
    for old_name, new_name in ALIASES.items():
        out[old_name] = out[new_name]
    made = awards_made(m)
    for st in prog.instruments:
        out[f"applications_{st.id}"] = st.applications
        out[f"awards_{st.id}"] = made.get(st.id, 0)
    # + 0.0 turns -0.0 into 0.0: the sign of a zero (a pot committed and fully released)
    # means nothing, and must not make equal results differ bit for bit between processes
    return {k: float(v) + 0.0 for k, v in out.items()}


def awards_made(m: PolicyModel) -> dict[str, int]:
    """Awards each instrument made that took effect: grants on started projects, prizes
    paid, scaling grants paid (an award a buyer then declined never started anything).
    One pass over the projects for every instrument."""
    led, made = m.ledger, {}
    for p in m.projects:
        for g in p.grants:
            if g.awarded > 0:
                made[g.instrument] = made.get(g.instrument, 0) + 1
    for inst, *_ in (*led.prizes, *led.scaling):
        made[inst] = made.get(inst, 0) + 1
    return made


def _adoptions_by_solution(adoptions) -> dict[int, list[int]]:
    by: dict[int, list[int]] = {}
    for a in adoptions:
        by.setdefault(a.solution, []).append(a.month)
    return by
