"""Plain-language names and units of outcomes, shared by tables, figures and the report.

A ministry reader sees "Buyers that adopted (buyers)", never ``adopters``; keeping the
wording in one place means the report, the CSV files and the dashboard say the same thing.
"""

from __future__ import annotations

import math

# outcome -> (label, unit). Units are what an axis says: EUR, buyers, projects, months, share.
OUTCOME_INFO: dict[str, tuple[str, str]] = {
    "projects_funded": ("Projects funded by the scheme", "projects"),
    "projects_started": ("Innovation projects started", "projects"),
    "projects_completed": ("Projects completed", "projects"),
    "projects_aborted": ("Projects aborted", "projects"),
    "abort_share": ("Share of funded projects aborted", "share"),
    "stuck_share": ("Completed solutions never bought", "share"),
    "support_per_project_eur": ("Programme money per funded project", "EUR"),
    "programme_spend_eur": ("Programme money paid", "EUR"),
    "adopters": ("Buyers that adopted a new solution", "buyers"),
    "adoptions_per_solution": ("Buyers per developed solution (scaling)", "buyers"),
    "solutions_scaled": ("Solutions bought by 3+ buyers", "solutions"),
    "followers": ("Adoptions by followers (spread)", "adoptions"),
    "months_to_spread": ("Months from first purchase to third buyer", "months"),
    "deadweight_share": ("Deadweight: funded projects that would have happened anyway", "share"),
    "additional_adoptions": ("Additional adopters (vs. no scheme)", "buyers"),
    "public_eur_per_adoption": ("Public money per additional adopter", "EUR"),
    "private_eur_per_public_eur": ("Private money leveraged per public euro", "EUR/EUR"),
    "small_buyer_share": ("Share of funded projects led by small buyers", "share"),
    "sme_contract_share": ("Share of development contracts won by SMEs", "share"),
    "first_of_kind_share": ("Share of adoptions new to every buyer", "share"),
    "transfer_share": ("Share of funded projects co-financed at purchase", "share"),
    "budget_use_share": ("Programme budget used", "share"),
    "buyers_innovating": ("Buyers running an innovative procurement", "buyers"),
    "contracts_per_project": ("Development contracts per funded project", "contracts"),
    "follow_on_sales_eur": ("Suppliers' follow-on sales of new solutions", "EUR"),
    "services_cost_eur": ("Running cost of services (centre, joint processes)", "EUR"),
    "public_money_eur": ("Public money (programme and services)", "EUR"),
    "public_eur_per_additional_adopter": ("Public money per additional adopter", "EUR"),
    "deadweight_eur_share": ("Deadweight: public euros spent on what happened anyway", "share"),
    "adopters_existing_products": ("Buyers that bought an existing product", "buyers"),
    "retenders_lost": ("Pilots lost at a re-tender", "projects"),
    # monthly series only
    "adoptions": ("Adoptions of new solutions (scaling)", "adoptions"),
    "additional_adopters": ("Additional adopters (vs. no scheme)", "buyers"),
    # extras
    "buyers_in_scheme": ("Buyers taking part in the scheme", "buyers"),
    "substantial_innovations": ("Substantial innovations completed", "projects"),
    "abort_share_rushed": ("Abort share, rushed preparation", "share"),
    "abort_share_thorough": ("Abort share, thorough preparation", "share"),
    "solutions_unscaled": ("Solutions bought by fewer than 3 buyers", "solutions"),
    "diffusion_grants": ("Diffusion grants paid", "grants"),
    "joint_processes": ("Joint procurement processes", "processes"),
    "budget_granted_eur": ("Programme money granted", "EUR"),
    "budget_ceiling_eur": ("Programme budget ceiling", "EUR"),
    # outcomes added after the tables were labelled: unnamed, they showed as
    # "buyers own money eur" with money as 239,177,661 (issue 18 walk-through)
    "buyers_own_money_eur": ("Buyers' own money paid (projects and purchases)", "EUR"),
    "contracts_per_pcp": ("Development contracts per pre-commercial procurement", "contracts"),
    "adoptions_per_scheme_solution": ("Buyers per solution the scheme developed", "buyers"),
    "loan_repaid_eur": ("Loans repaid to the scheme", "EUR"),
    "loan_due_after_horizon_eur": ("Loan instalments due after the horizon", "EUR"),
    "supplier_survival_share": ("Domestic suppliers still active at the end", "share"),
    "first_time_supplier_share": ("Share of development contracts to first-time suppliers", "share"),
    "supplier_entrants": ("Suppliers that entered the market", "suppliers"),
    "suppliers_active": ("Suppliers active at the end", "suppliers"),
}

# What the monthly series show, and the question each answers (the report's curves).
SERIES = {
    "adopters": "adoption",
    "adoptions": "scaling",
    "followers": "spread",
    "programme_spend_eur": "public money",
}


def label(name: str) -> str:
    """A reader's name for an outcome, parameter or series (falls back to the raw name)."""
    if name in OUTCOME_INFO:
        return OUTCOME_INFO[name][0]
    if name.startswith("cf_"):
        return f"{label(name[3:])}, without the scheme"
    if name.startswith("applications_"):
        return f"Applications to {name[len('applications_'):]}"
    if name.startswith("awards_"):
        return f"Projects funded by {name[len('awards_'):]}"
    return name.replace("__", " › ").replace(".", " › ").replace("_", " ")


def short_label(name: str) -> str:
    """A parameter path cut to its last two parts, for axes and panel titles.

    ``scheme.instruments.pio_development_open.rate`` becomes "pio development open › rate";
    outcome names get their full label.
    """
    if name in OUTCOME_INFO or name.startswith(("cf_", "applications_", "awards_")):
        return label(name)
    parts = name.replace("__", ".").split(".")
    return " › ".join(p.replace("_", " ") for p in parts[-2:])


def unit(name: str) -> str:
    """The unit an axis shows for an outcome ('' when unknown)."""
    if name.startswith("cf_"):
        name = name[3:]
    if name.startswith("applications_"):
        return "applications"
    if name.startswith("awards_"):
        return "projects"
    return OUTCOME_INFO.get(name, ("", ""))[1]


def axis_title(name: str) -> str:
    """'Label (unit)' for an axis; shares are shown in per cent by the figures."""
    u = unit(name)
    return f"{label(name)} ({'%' if u == 'share' else u})" if u else label(name)


def is_share(name: str) -> bool:
    return unit(name) == "share"


# Units that count whole things: a mean over runs of such a count is shown in whole units
# ("-15 buyers", not "-15.30"), since no simulation knows a buyer to the hundredth. Ratios
# with these units (buyers per solution, contracts per project) are not counts.
COUNT_UNITS = frozenset({"buyers", "projects", "adoptions", "solutions", "grants", "processes",
                         "applications"})
NOT_COUNTS = frozenset({"adoptions_per_solution", "contracts_per_project", "contracts_per_pcp",
                        "adoptions_per_scheme_solution"})


def is_count(name: str) -> bool:
    """Whether an outcome counts whole things (shown without decimals from 1 up)."""
    base = name[3:] if name.startswith("cf_") else name
    return base not in NOT_COUNTS and unit(base) in COUNT_UNITS


def fmt_value(x, name: str = "", signed: bool = False) -> str:
    """A number as a reader reads it, in the outcome's unit: '12 %', 'EUR 1.2 m', '1,234'.

    Undefined values (NaN, None) print as an en dash, never as zero. Counts are whole from
    one unit up ('-15', '+3'); below one unit they keep one decimal ('+0.4'), so a small
    mean effect does not read as none.
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    sign = "+" if signed and x > 0 else ""
    u = unit(name)
    if u == "share":
        return f"{sign}{x * 100:.0f} %" if abs(x) >= 0.095 or x == 0 else f"{sign}{x * 100:.1f} %"
    if u == "EUR":
        ax = abs(x)
        if ax >= 1e6:
            return f"{sign}EUR {x / 1e6:,.1f} m"
        if ax >= 1e3:
            return f"{sign}EUR {x / 1e3:,.0f} k"
        return f"{sign}EUR {x:,.0f}"
    ax = abs(x)
    if is_count(name) and (ax >= 1 or x == 0):
        return f"{sign}{x:,.0f}".replace("+-", "-")
    if is_count(name):
        return f"{sign}{x:.1f}" if ax >= 0.05 else f"{sign}{x:.2f}"
    if ax >= 100:
        return f"{sign}{x:,.0f}"
    if ax >= 10:
        return f"{sign}{x:.1f}"
    return f"{sign}{x:.2f}" if ax else "0"
