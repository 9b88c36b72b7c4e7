"""The shared behavioural parameters: how buyers and suppliers decide, and how solutions spread.

ONE set is used by every scenario (scenarios/behaviour.yaml); countries differ only in their
schemes and populations. Each field documents the range the calibration searched; the file
says why each fitted value is plausible.
"""

from __future__ import annotations

from pydantic import Field

from .base import Strict


class Behaviour(Strict):
    """Behavioural parameters (one shared set; see scenarios/behaviour.yaml for the why).

    The defaults repeat the shared file's fitted values so that code that builds a
    behaviour without the file gets the same model; a test keeps the two equal.
    """

    # needs and their economics
    need_rate_per_year: float = Field(0.8, ge=0, le=20, description="needs a year, median buyer")
    challenges_per_theme: int = Field(25, ge=1, le=500, description="distinct challenges per theme")
    relevance_share: float = Field(0.25, ge=0, le=1, description="share of buyers a challenge concerns")
    reference_budget_eur: float = Field(500000, gt=0, description="budget whose needs cost dev_cost_eur")
    size_exponent: float = Field(0.6, ge=0, le=1.5, description="elasticity of project size to budget")
    dev_cost_eur: float = Field(800000, gt=0, description="median development cost of a new solution")
    cost_sd_log: float = Field(0.8, ge=0, le=3)
    value_multiple: float = Field(3.3, gt=0, le=20, description="median value of a need / its cost")
    purchase_cost_multiple: float = Field(0.6, ge=0, le=10, description="purchase+implementation cost")
    internal_cost_share: float = Field(0.2, ge=0, le=1, description="buyer staff share of its own costs")
    existing_product_share: float = Field(0.5, ge=0, le=1, description="needs an existing product meets")
    # risk and decisions
    risk_aversion: float = Field(1.3, ge=0, le=10, description="weight of own money at risk")
    multi_year_penalty_small: float = Field(0.3, ge=0, le=3, description="per committed year, small")
    application_cost_eur: float = Field(10000, ge=0, description="effort of one application")
    advice_risk_relief: float = Field(0.3, ge=0, le=1, description="risk a centre's advice removes")
    # what services cost and what they can handle; what a project asks of a buyer's staff
    advice_hours_per_buyer: float = Field(
        20, ge=0, le=2000, description="a centre's process support hours per buyer and year")
    advice_cost_per_hour_eur: float = Field(100, gt=0, le=10000, description="an adviser's hour")
    joint_process_cost_eur: float = Field(
        50000, gt=0, le=1e8, description="running one joint process (facilitation, dialogue)")
    staff_relief: float = Field(
        0.5, ge=0, le=1, description="share of a project's staff work each kind of support takes")
    # project success
    base_success: float = Field(0.975, ge=0, le=1, description="success chance of one contractor's phase")
    complexity_effect: float = Field(0.3, ge=0, le=1)
    preparation_effect: float = Field(0.6, ge=0, le=1, description="failure from poor preparation")
    rushed_threshold: float = Field(0.45, ge=0, le=1, description="preparation quality below = rushed")
    preparation_grant_boost: float = Field(0.25, ge=0, le=1)
    full_cover_penalty: float = Field(0.25, ge=0, le=1, description="extra failure at 100 % cover")
    overrun_sd_log: float = Field(
        0.4, ge=0, le=2, description="tail of development overruns: log-sd of the overrun factor")
    engagement_share: float = Field(0.3, ge=0, le=1, description="own share below which engagement drops")
    # suppliers and markets
    supplier_margin: float = Field(0.15, ge=0, le=1)
    market_weight: float = Field(1.0, ge=0, le=10, description="weight of a visible market vs the fee")
    supplier_invest_share: float = Field(0.1, ge=0, le=3, description="own investment / contract")
    bid_cost_share: float = Field(0.01, ge=0, le=1, description="cost of a bid / contract value")
    supplier_candidates: int = Field(40, ge=1, le=500, description="suppliers that look at a tender")
    pilot_wins_retender: float = Field(0.6, ge=0, le=1, description="chance the piloting supplier wins")
    # suppliers that learn, enter and leave (ODD 7.17)
    supplier_learning: float = Field(
        0.1, ge=0, le=1, description="capability gained per delivery, a share of what is missing to 1")
    reference_weight: float = Field(
        0.1, ge=0, le=2, description="rank bonus of a bidder's references (saturating in their number)")
    supplier_idle_years: int = Field(
        3, ge=0, le=50, description="years without contract or sale after which a firm may leave")
    supplier_exit_rate: float = Field(0.08, ge=0, le=1, description="yearly exit chance of an idle firm")
    supplier_entry_rate: float = Field(
        0.08, ge=0, le=1, description="entrants a year / a theme's domestic firms at the start")
    entrant_capability: float = Field(0.35, ge=0, le=1, description="mean capability of an entrant")
    thin_market_firms: float = Field(
        150, ge=0, le=1e6, description="domestic firms of a theme below which all its foreign firms look")
    # purchase and valley of death
    purchase_patience_months: int = Field(24, ge=1, le=240)
    plan_base: float = Field(0.5, ge=0, le=1, description="chance a buyer plans the purchase")
    # diffusion (Bass-like)
    innovation_p: float = Field(0.004, ge=0, le=1, description="monthly own-discovery hazard")
    imitation_q: float = Field(0.004, ge=0, le=1, description="monthly peer hazard at full adoption")
    same_type_weight: float = Field(0.6, ge=0, le=1, description="share of peer effect within type")
    same_region_weight: float = Field(
        0.5, ge=0, le=1, description="of the rest of the peer effect, the share within the region")
    crowd_out: float = Field(0.3, ge=0, le=1, description="reuse lost where development money is known")
    follower_uptake: float = Field(0.8, ge=0, le=1, description="followers that use their right")
    joint_uptake: float = Field(0.7, ge=0, le=1, description="joint-process buyers that buy")
    joint_market_visibility: float = Field(1.0, ge=0, le=5)
