"""The scenario schema: a population of buyers and suppliers plus a scheme of instruments.

A scenario keeps the population and the scheme apart so that any scheme can be put on any
population (``compare --population``). Every number may carry its provenance: the schema
accepts ``assumed`` and ``source`` beside values so that a reader of the file can tell a
figure from the brief from an assumption of ours.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .applicability import APPLIES, applies
from .base import Strict
from .behaviour import Behaviour

PHASES = ("preparation", "tender", "development", "purchase", "implementation", "diffusion")
Phase = Literal["preparation", "tender", "development", "purchase", "implementation", "diffusion"]
InstrumentType = Literal[
    "co_financing",
    "preparation_grant",
    "pcp",
    "purchase_cofinancing",
    "innovation_partnership",
    "joint_process",
    "diffusion_grant",
    "supplier_grant",
    "prize",
]
SelectionRule = Literal["first_come", "ranked"]
LOAN_FIELDS = ("interest_rate", "repayment_years", "repayment_on_success", "repayment_on_failure",
               "repaid_from_budget_share")  # read only when financing is a loan


class Dist(Strict):
    """A distribution of a buyer or supplier attribute: a mean and a spread.

    Shares (capability, risk tolerance, awareness) are drawn from a Beta with this mean and
    standard deviation; money is drawn log-normally around the mean.
    """

    mean: float = Field(ge=0)
    sd: float = Field(default=0.0, ge=0)
    assumed: bool = False
    source: str | None = None


class Share(Dist):
    """A distribution of a share in [0, 1]: its mean is at most 1 and its sd at most 0.5."""

    mean: float = Field(ge=0, le=1)
    sd: float = Field(default=0.0, ge=0, le=0.5)


class BuyerGroup(Strict):
    """Buyers of one type (municipality, region, hospital, ...) in a population."""

    type: str = Field(min_length=1)
    count: int = Field(ge=0, le=100_000)
    small: bool = Field(False, description="small buyers (libraries, small municipalities)")
    innovation_budget_eur: Dist = Field(description="annual money a buyer can put in new solutions")
    capability: Share = Field(description="procurement capability, 0-1")
    risk_tolerance: Share = Field(description="0 avoids any risk, 1 is risk neutral")
    awareness: Share = Field(description="chance of knowing a given funding instrument, 0-1")
    regions: int = Field(1, ge=1, le=1000, description="regions the group is spread over")
    staff_capacity: float | None = Field(
        None, ge=0, le=100,
        description="innovation projects its own staff can run at once (a project lead, "
                    "procurement and legal work each); empty: 1 for small buyers, 3 for others")
    assumed: bool = False
    source: str | None = None

    @property
    def staff(self) -> float:
        """The staff capacity, or its default: a small buyer has one person to spare for an
        innovation project beside its daily work, a larger one a few (assumed, docs/ODD.md
        section 7.16)."""
        if self.staff_capacity is not None:
            return self.staff_capacity
        return 1.0 if self.small else 3.0


class SupplierGroup(Strict):
    """Suppliers of one kind (SME or large, domestic or foreign)."""

    type: Literal["sme", "large"]
    foreign: bool = False
    count: int = Field(ge=0, le=1_000_000)
    capability: Share
    risk_tolerance: Share
    assumed: bool = False
    source: str | None = None


class Merger(Strict):
    """Buyers of one type that merge into other buyers at a month (a municipal reform).

    A fact about the population, not the scheme: the same mergers happen with and without a
    scheme. From the merger's month the ``merged`` buyers have no new needs and adopt
    nothing, and each ``absorbers`` buyer of ``into_type`` takes over the annual budget of
    the buyers that join it (docs/ODD.md 7.13). Read an entry as "on 2020-01, 52
    municipality_micro merge into 37 municipality_small".
    """

    date: str | None = Field(
        None, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
        description="calendar month YYYY-MM it takes effect (its month in a run counts from "
        "January of the scenario's start_year)")
    month: int | None = Field(
        None, ge=0, le=1200, description="or: months after January of the population's year "
        "(of the scenario's start_year when the population gives none)")
    type: str = Field(min_length=1, description="the buyer group whose buyers cease to exist")
    merged: int = Field(ge=1, le=100_000, description="how many of them merge into others")
    into_type: str | None = Field(
        None, description="the buyer group they merge into (default: the same group)")
    absorbers: int | None = Field(
        None, ge=1, le=100_000, description="how many buyers take them over, the merged spread "
        "evenly over them (default: as many as merged, one each)")
    source: str | None = None
    assumed: bool = False

    @model_validator(mode="after")
    def _when(self) -> Merger:
        if (self.date is None) == (self.month is None):
            raise ValueError("give date (YYYY-MM) or month, exactly one")
        return self

    def calendar(self, year: int) -> tuple[int, int]:
        """(year, month 1-12) it takes effect, ``month`` counted from January of ``year``."""
        if self.date is not None:
            y, m = self.date.split("-")
            return int(y), int(m)
        return year + self.month // 12, self.month % 12 + 1


class Population(Strict):
    """Who buys and who supplies in one country, and what they need."""

    name: str = Field(min_length=1)
    source: str | None = None
    buyers: list[BuyerGroup] = Field(min_length=1)
    suppliers: list[SupplierGroup] = Field(min_length=1)
    themes: dict[str, float] = Field(
        min_length=1, description="theme -> share of buyers' innovation needs"
    )
    background_funding_share: float = Field(
        0.0, ge=0, le=1, description="share of projects that get existing pool money (no scheme)"
    )
    background_funding_rate: float = Field(0.5, ge=0, le=1)
    tender_threshold_eur: float = Field(
        215_000, ge=0, description="purchases above it must be tendered (EU threshold)"
    )
    foreign_suppliers_allowed: bool = True
    year: int | None = Field(
        None, ge=1900, le=2100, description="the calendar year the counts describe (default: "
        "the scenario's start_year); a merger's month counts from its January")
    mergers: list[Merger] = Field(
        default_factory=list, max_length=200,
        description="structural changes over the horizon (municipal mergers), ODD 7.13")
    assumed: bool = False

    @model_validator(mode="after")
    def _themes_positive(self) -> Population:
        if any(v < 0 for v in self.themes.values()) or sum(self.themes.values()) <= 0:
            raise ValueError("themes: shares must be non-negative and sum to more than 0")
        return self

    def merger_months(self, start_year: int) -> list[int]:
        """Each merger's month in a run that starts in January of ``start_year`` (negative:
        it took effect before the run, so the run starts with it done)."""
        year = self.year if self.year is not None else start_year
        out = []
        for m in self.mergers:
            y, mon = m.calendar(year)
            out.append(12 * (y - start_year) + mon - 1)
        return out


class Instrument(Strict):
    """One instrument of a scheme and its rules.

    The fields are shared by all instrument types; a type reads the ones that apply to it
    (see docs/ODD.md, submodel "Instruments"). Budgets are ceilings: what is granted comes
    from applications and ranking, not from the budget.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: InstrumentType
    description: str = ""
    source: str | None = None
    assumed: list[str] = Field(default_factory=list, description="fields whose values are assumed")
    annual_budget_eur: float | None = Field(None, ge=0)
    total_budget_eur: float | None = Field(None, ge=0)
    rate: float = Field(0.5, ge=0, le=1, description="co-funding rate of eligible costs")
    min_grant_eur: float = Field(0, ge=0)
    max_grant_eur: float = Field(1e12, ge=0)
    phases: list[Phase] = Field(default_factory=lambda: ["development"])
    internal_costs: bool = Field(False, description="buyer's internal costs (staff) eligible")
    internal_cost_cap_share: float = Field(1.0, ge=0, le=1)
    calls_per_year: int = Field(0, ge=0, le=12, description="0 = open all year")
    start_month: int = Field(0, ge=0, le=1200)
    end_month: int | None = Field(None, ge=0, le=1200)
    themes: list[str] = Field(default_factory=list, description="empty = any theme")
    call_themes: list[list[str]] = Field(
        default_factory=list,
        description="the themes of each call in turn, repeating (thematic calls that rotate)")
    selection: SelectionRule = "first_come"
    min_score: float = Field(0.0, ge=0, le=1, description="panel's minimum score")
    implementation_plan_weight: float = Field(0.0, ge=0, le=1)
    innovation_weight: float = Field(
        0.0, ge=0, le=1, description="panel weight of the solution's novelty to public buyers"
    )
    follower_rights: bool = False
    max_followers: int = Field(0, ge=0, le=1000)
    paid_to: Literal["buyer", "supplier"] = "buyer"
    competing_suppliers: int = Field(1, ge=1, le=20, description="first-phase contracts")
    down_selection: list[int] = Field(default_factory=list, description="contracts kept per phase")
    max_extension_months: int | None = Field(
        None, ge=0, le=240,
        description="months a development may overrun its plan and still be paid (its rate of the "
        "overrun, within the cap); empty: no limit; 0: strict, the grant ends at the planned end")
    project_office_share: float = Field(0.0, ge=0, le=1, description="share for an external office")
    min_supplier_share: float = Field(0.0, ge=0, le=1, description="share that must go to suppliers")
    buyers_per_process: int = Field(1, ge=1, le=500, description="buyers joined in a joint process")
    processes_per_year: float = Field(0.0, ge=0, le=1000)
    prize_eur: float = Field(0, ge=0)
    visibility: float = Field(1.0, ge=0, le=1, description="how well buyers know of it")
    # paid after the fact and loans (ODD 7.14)
    payment_lag_months: int = Field(
        0, ge=0, le=60, description="0 = paid as a phase starts; n = paid n months later against "
        "realised costs, so the buyer pre-finances the phase (Finland)")
    financing: Literal["grant", "loan"] = Field(
        "grant", description="loan: the buyer repays what was paid (Spain's FID Line)")
    interest_rate: float = Field(0.0, ge=0, le=1, description="a loan's yearly interest")
    repayment_years: int = Field(5, ge=1, le=30, description="yearly instalments of a loan, the "
                                 "first a year after the project ends")
    repayment_on_success: float = Field(
        1.0, ge=0, le=1, description="share of a loan repaid when the project delivered")
    repayment_on_failure: float = Field(
        0.0, ge=0, le=1, description="share of a loan repaid when the project failed")
    repaid_from_budget_share: float = Field(
        1.0, ge=0, le=1, description="share of each instalment from the buyer's own budget; the "
        "rest from other funds (Spain: EU regional funds)")

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        if self.min_grant_eur > self.max_grant_eur:
            raise ValueError("min_grant_eur is larger than max_grant_eur")
        if self.end_month is not None and self.end_month < self.start_month:
            raise ValueError("end_month is before start_month")
        if self.project_office_share + self.min_supplier_share > 1 + 1e-9:
            raise ValueError("project_office_share + min_supplier_share exceed 1")
        if self.paid_to == "supplier" and (self.financing == "loan" or self.payment_lag_months):
            raise ValueError("a loan or a payment after the fact works on the buyer's budget: "
                             "not with paid_to: supplier")
        if self.financing == "grant":
            loan_only = [f for f in LOAN_FIELDS if getattr(self, f) != type(self).model_fields[f].default]
            if loan_only:
                raise ValueError(f"{', '.join(loan_only)} mean nothing for a grant: set "
                                 "financing: loan, or remove them")
        if self.call_themes:
            if self.calls_per_year == 0:
                raise ValueError("call_themes needs calls (calls_per_year > 0): an instrument "
                                 "open all year has no rounds to rotate")
            if self.themes:
                raise ValueError("give themes or call_themes, not both (call_themes sets each "
                                 "call's themes)")
            if any(not c for c in self.call_themes):
                raise ValueError("call_themes: every call needs at least one theme")
        return self

    @field_validator(*APPLIES, mode="after")
    @classmethod
    def _meaningful(cls, value, info: ValidationInfo):
        """A field set on a type that never reads it would change nothing: refused, so that
        nobody changes it and concludes the policy does not matter (applicability.py).
        ``type`` is declared before every field of the table, so it is known here."""
        itype = info.data.get("type")
        if itype is None or applies(info.field_name, itype):
            return value
        if value != cls.model_fields[info.field_name].get_default(call_default_factory=True):
            raise ValueError(f"means nothing for a {itype} instrument (it applies to: "
                             f"{', '.join(APPLIES[info.field_name])}); remove it")
        return value

    @property
    def has_money(self) -> bool:
        """Whether the instrument has any budget to grant."""
        return bool((self.annual_budget_eur or 0) > 0 or (self.total_budget_eur or 0) > 0)


class CompetenceCentre(Strict):
    """Advice, templates and upskilling: raises buyers' awareness and capability."""

    awareness_gain_per_year: float = Field(0.1, ge=0, le=1)
    capability_gain_per_year: float = Field(0.05, ge=0, le=1)
    reach: float = Field(0.5, ge=0, le=1, description="share of buyers it reaches")
    legal_advice_hours: float = Field(0, ge=0)
    annual_budget_eur: float = Field(
        ge=0, le=1e9, description="what the centre costs a year (counts in public money)")
    source: str | None = None
    assumed: list[str] = Field(default_factory=list)


class Scheme(Strict):
    """A country's funding mechanism: its instruments and an optional competence centre."""

    name: str = Field(min_length=1)
    source: str | None = None
    instruments: list[Instrument] = Field(default_factory=list)
    competence_centre: CompetenceCentre | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Scheme:
        ids = [i.id for i in self.instruments]
        if len(ids) != len(set(ids)):
            raise ValueError("instrument ids must be unique")
        return self

    @property
    def offers_anything(self) -> bool:
        """Whether the scheme has money or a non-monetary service at all."""
        services = any(i.type == "joint_process" and i.processes_per_year > 0
                       for i in self.instruments)
        return any(i.has_money for i in self.instruments) or services or bool(
            self.competence_centre
        )


class Scenario(Strict):
    """A population plus a scheme, over a horizon; the unit that `simulate` runs."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    country: str = Field(min_length=1)
    description: str = Field(min_length=1)
    source: str = Field(min_length=1)
    horizon_years: float = Field(gt=0, le=50)
    start_year: int = Field(2024, ge=1990, le=2100)
    population: Population
    scheme: Scheme
    behaviour: Behaviour | None = Field(
        None, description="filled from the shared scenarios/behaviour.yaml when absent"
    )

    @property
    def months(self) -> int:
        """Number of monthly steps in the horizon."""
        return max(1, round(self.horizon_years * 12))

    def without_scheme(self) -> Scenario:
        """The counterfactual: the same population with an empty scheme."""
        empty = Scheme(name="none", source="counterfactual: no scheme")
        return self.model_copy(update={"scheme": empty})

    def on_population(self, other: Scenario) -> Scenario:
        """This scheme put on another scenario's population ("Flanders' scheme in Denmark")."""
        return self.model_copy(
            update={
                "name": f"{self.name}@{other.name}",
                "country": other.country,
                "population": other.population,
            }
        )
