"""A what-if edit runs against the unchanged scheme, redraws, cancels, and downloads as YAML."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.keys import Keys

from dashboard import testing
from dashboard.pages import whatif as ids

BUDGET = "scheme.instruments.value_chain.annual_budget_eur"


def _knob(page, path):
    return page.driver.find_element("css selector", f"[id*='{path}']")


def _open_group(page, name):
    for summary in page.driver.find_elements("css selector", f"#{ids.KNOBS} summary"):
        if summary.text.startswith(name):
            if summary.find_element("xpath", "..").get_attribute("open") is None:
                summary.click()
            return
    raise AssertionError(f"no knob group {name}")


@pytest.mark.browser
def test_an_edit_is_run_and_redrawn_against_the_unchanged_scheme(page, downloads):
    page.open("/what-if")
    _open_group(page, "Risk-relieving co-financing")  # headed by what it does, not its id
    heads = [e.text for e in page.driver.find_elements("css selector", f"#{ids.KNOBS} summary")]
    assert not any("_" in h for h in heads), heads
    box = _knob(page, BUDGET)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("3000000", Keys.TAB)
    page.settle()
    page.click(ids.RUN)
    page.wait_text(ids.PROGRESS, "done", timeout=90)
    page.wait_text(ids.CURVES_NOTE, "drawn from 4 of 4 runs", timeout=30)
    names = page.wait_traces(ids.CURVES, ["denmark_copi_proposal: unchanged",
                                          "denmark_copi_proposal: what-if"])
    # both schemes share one population and seeds: one dashed no-scheme line, not two on top
    assert [n for n in names if "no scheme" in n] == ["no scheme (the same for both)"], names
    # the edit in plain words, never a raw path or 3000000.0
    assert "Value chain: annual budget EUR 1.2 m -> EUR 3.0 m" in page.text(ids.CHANGES)
    assert "annual_budget_eur" not in page.text(ids.CHANGES)
    assert "change" in page.text(ids.TABLE)
    # what the edit buys: extra public money per extra adopter, paired over the same seeds
    answer = page.wait_text(ids.MARGINAL, "pairs of runs with the same seeds", timeout=30)
    assert "90 % CI of the mean" in answer
    assert "per extra adopter" in answer or "not clearly above zero" in answer
    # both schemes in the decision table, on one horizon, with their flags
    page.wait_text(ids.DECISION, "Reading.", timeout=30)
    text = page.text(ids.DECISION)
    assert "Horizon 1 year" in text and "not equal" not in text
    rows = page.driver.find_elements("css selector", f"#{ids.DECISION} tbody tr")
    assert len(rows) == 2 and "best" in rows[0].text
    flags = ("not distinguishable from no scheme", "more adopters", "fewer adopters")
    assert all(any(f in r.text for f in flags) for r in rows), [r.text for r in rows]
    assert any(f in rows[1].text for f in ("not distinguishable from the best", "below the best"))
    assert "paired over common seeds" in rows[1].text

    page.click(ids.YAML)
    target = downloads / "denmark_copi_proposal_whatif.yaml"
    testing.wait_for(lambda: target.exists() and target.stat().st_size > 0, 20, message="the YAML download")
    from simpolicy import load_scenario

    edited = load_scenario(target)
    budgets = {i.id: i.annual_budget_eur for i in edited.scheme.instruments}
    assert budgets["value_chain"] == 3_000_000


@pytest.mark.browser
def test_a_long_run_can_be_cancelled_and_the_page_stays_responsive(page):
    page.open("/what-if")
    reps = page.driver.find_element("id", ids.REPS)
    reps.send_keys(Keys.CONTROL, "a")
    reps.send_keys("200", Keys.TAB)
    _open_group(page, "behavioural")
    risk = page.driver.find_elements("css selector", "[id*='behaviour.risk_aversion'] .rc-slider-handle, "
                                     "[id*='behaviour.risk_aversion'] [role='slider']")
    if risk:
        risk[0].send_keys(Keys.ARROW_RIGHT)
    page.click(ids.RUN)
    page.wait_text(ids.PROGRESS, "running", timeout=30)
    t0 = time.perf_counter()
    page.driver.find_element("link text", "Scenario").click()  # another page answers meanwhile
    page.wait_text("page", "Scenario", timeout=10)
    assert time.perf_counter() - t0 < 10
    page.driver.find_element("link text", "What-if").click()
    page.wait_text("page", "What-if", timeout=10)
    page.wait_text(ids.PROGRESS, "running", timeout=30)
    page.click(ids.CANCEL)
    page.wait_text(ids.PROGRESS, "cancelled", timeout=30)
    done, total = [int(x) for x in page.text(ids.PROGRESS).split(" runs")[0].split(" of ")]
    assert done < total
