"""Which instrument fields mean something for which instrument types (issue 15, "no inert field").

Every instrument type shares one schema (``schema.Instrument``), but each type reads only
some of its fields. A field set on a type that never reads it changes nothing, and an
analyst who changes it concludes that the policy does not matter; so ``validate`` refuses a
non-default value of a field for a type outside its entry here, and
``tests/test_no_inert_field.py`` changes every field on every type listed here and requires
some outcome to move. The table follows what the model reads (simpolicy/model/):

- applications, panels and calls (``Programme.offers``/``apply``/``run_calls``) exist for
  the types a buyer applies to (``APPLIED``); services (joint processes, idea
  competitions) and scaling grants take no applications;
- a grant's plan by cost line (``InstrumentState.plan``: phases, internal costs, project
  office, minimum supplier share, minimum grant) is made for the applied types; a scaling
  grant pays a share of a follower's price (rate, minimum and maximum grant, phases that
  decide which purchases it covers); a prize pays ``rate x prize_eur`` up to the maximum;
- a joint process has no grant money: its ``annual_budget_eur`` is its running cost;
- buyer-side lines (internal costs, an external project office, the minimum share for
  suppliers) mean nothing for money paid to suppliers or for buying what exists;
- payment after the fact and loans (``loans.py``) act on the buyer's own budget, so they
  exist for money paid to a buyer's project; supplier-side money and scaling grants are
  paid as grants when due.
"""

from __future__ import annotations

TYPES = ("co_financing", "preparation_grant", "pcp", "purchase_cofinancing",
         "innovation_partnership", "joint_process", "diffusion_grant", "supplier_grant", "prize")
APPLIED = ("co_financing", "preparation_grant", "pcp", "purchase_cofinancing",
           "innovation_partnership", "supplier_grant")  # buyers apply; grants sit on projects
BUYER_PAID = ("co_financing", "preparation_grant", "pcp", "purchase_cofinancing",
              "innovation_partnership")  # grants whose money goes to the buyer's project
DEVELOPMENT = ("co_financing", "pcp", "innovation_partnership")  # buyer-side, pay development
MONEY = (*APPLIED, "diffusion_grant", "prize")  # every type that pays money it grants
ALL = TYPES

METADATA = ("id", "type", "description", "source", "assumed")  # say what, never how much

APPLIES: dict[str, tuple[str, ...]] = {
    # money
    "annual_budget_eur": ALL,  # a grant pot, or a joint process's running cost
    "total_budget_eur": MONEY,  # a joint process's cost is annual
    "rate": MONEY,
    "min_grant_eur": (*APPLIED, "diffusion_grant"),  # a prize is rate x prize_eur
    "max_grant_eur": MONEY,
    "phases": (*APPLIED, "diffusion_grant"),  # a scaling grant covers purchases (its phases)
    "internal_costs": BUYER_PAID,
    "internal_cost_cap_share": BUYER_PAID,
    "paid_to": APPLIED,  # prizes and scaling grants are paid to sellers by definition
    "project_office_share": ("co_financing", "preparation_grant", "pcp", "innovation_partnership"),
    "min_supplier_share": DEVELOPMENT,
    # when and for what
    "start_month": ALL,
    "end_month": ALL,
    "themes": ALL,
    "visibility": ALL,
    # applications and panels
    "calls_per_year": APPLIED,
    "selection": APPLIED,
    "call_themes": APPLIED,  # rounds of a call someone applies to
    "min_score": APPLIED,
    "implementation_plan_weight": APPLIED,
    "innovation_weight": APPLIED,
    # the procurement a grant pays for
    "follower_rights": (*DEVELOPMENT, "purchase_cofinancing", "supplier_grant"),
    "max_followers": (*DEVELOPMENT, "purchase_cofinancing", "supplier_grant"),
    "competing_suppliers": ("pcp", "innovation_partnership", "supplier_grant"),
    "down_selection": ("pcp", "innovation_partnership", "supplier_grant"),
    # a grant that pays development is extended (or not) when the development overruns
    "max_extension_months": (*DEVELOPMENT, "supplier_grant"),
    # services
    "buyers_per_process": ("joint_process",),
    "processes_per_year": ("joint_process", "prize"),
    "prize_eur": ("prize",),
    # paid after the fact, loans (ODD 7.14): money that reaches a buyer's project; the loan
    # fields also need ``financing: loan`` (schema.Instrument refuses them on a grant)
    "payment_lag_months": BUYER_PAID,
    "financing": BUYER_PAID,
    "interest_rate": BUYER_PAID,
    "repayment_years": BUYER_PAID,
    "repayment_on_success": BUYER_PAID,
    "repayment_on_failure": BUYER_PAID,
    "repaid_from_budget_share": BUYER_PAID,
}


def applies(field: str, itype: str) -> bool:
    """Whether the field means something for an instrument of this type."""
    return field in METADATA or itype in APPLIES[field]
