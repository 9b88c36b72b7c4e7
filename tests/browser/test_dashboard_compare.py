"""A comparison of three schemes runs in the background and draws its curves and figures."""

from __future__ import annotations

import pytest

from dashboard import testing
from dashboard.pages import compare as ids


@pytest.mark.browser
def test_three_schemes_draw_their_curves(page):
    page.open("/compare")
    chosen = page.text(ids.SCHEMES)
    assert all(s in chosen for s in ("flanders", "austria", "denmark_copi_proposal")), chosen
    page.click(ids.RUN)
    page.wait_text(ids.PROGRESS, "done", timeout=90)
    page.wait_text(ids.CURVES_NOTE, "drawn from 6 of 6 runs", timeout=30)  # 3 schemes x 2 replications
    schemes = ["flanders", "austria", "denmark_copi_proposal"]
    names = page.wait_traces(ids.CURVES, schemes)
    page.settle()
    for scheme in ("flanders", "austria", "denmark_copi_proposal"):
        assert scheme in names, names
        assert f"{scheme}, no scheme" in names, names
        assert f"{scheme} 90 % band" in names, names
    cards = page.driver.find_elements("css selector", f"#{ids.KEYS} .kf-card")
    assert len(cards) == 3
    assert "Deadweight" in cards[0].text and "Public money per additional adopter" in cards[0].text
    # the card quotes the decision table's money per additional adopter (total over total)
    decision = page.text(ids.DECISION)
    for card in cards:
        kf = [k for k in card.find_elements("css selector", ".kf")
              if "Public money per additional adopter" in k.text][0]
        value = kf.find_element("css selector", ".kf-value").text
        assert value == "–" or value in decision, (value, decision)
    assert page.traces(ids.DIFF), "the difference chart is empty"
    rows = page.driver.find_elements("css selector", f"#{ids.TABLE} tbody tr")
    assert len(rows) >= 25, "every outcome should have a row"


@pytest.mark.browser
def test_switching_the_series_redraws_without_running_again(page):
    page.open("/compare")
    page.click(ids.RUN)
    page.wait_text(ids.CURVES_NOTE, "drawn from 6 of 6 runs", timeout=90)
    page.settle()
    before = page.driver.execute_script(
        "return document.getElementById(arguments[0]).querySelector('.js-plotly-plot').layout.title.text;",
        ids.CURVES)
    page.driver.find_element("css selector", f"#{ids.SERIES} input[value='followers']").click()
    page.settle()
    after = page.driver.execute_script(
        "return document.getElementById(arguments[0]).querySelector('.js-plotly-plot').layout.title.text;",
        ids.CURVES)
    assert before != after and "follower" in after.lower()


@pytest.mark.browser
def test_tables_and_curves_download_as_csv(page, downloads):
    import pandas as pd

    from dashboard import testing

    page.open("/compare")
    page.click(ids.RUN)
    page.wait_text(ids.CURVES_NOTE, "drawn from 6 of 6 runs", timeout=90)
    page.settle()
    expected = ((ids.TABLE_CSV, "compare_outcomes.csv", {"scenario", "kind", "outcome", "p05"}),
                (ids.CURVES_CSV, "compare_adopters_bands.csv", {"scenario", "month", "p95"}))
    for button, name, columns in expected:
        page.click(button)
        target = downloads / name
        testing.wait_for(lambda target=target: target.exists() and target.stat().st_size > 0, 20,
                         message=f"the download {name}")
        assert columns <= set(pd.read_csv(target).columns)


def _choose(page, dropdown_id: str, text: str) -> None:
    """Opens a Dash dropdown, and clicks the first option containing ``text``."""
    page.click(dropdown_id)
    option = testing.wait_for(lambda: [o for o in page.driver.find_elements(
        "css selector", "[role='option']") if text in o.text], 10, message=f"option '{text}'")[0]
    option.click()
    page.settle()


@pytest.mark.browser
def test_the_decision_table_comes_first_with_flags_and_one_horizon(page):
    """Three schemes on Estonia's population with no horizon set: all run the longest (10 years)."""
    from selenium.webdriver.common.keys import Keys

    page.open("/compare")
    _choose(page, ids.POPULATION, "every scheme on estonia")
    years = page.driver.find_element("id", ids.YEARS)
    years.send_keys(Keys.CONTROL, "a")
    years.send_keys(Keys.BACKSPACE, Keys.TAB)
    page.settle()
    page.click(ids.RUN)
    page.wait_text(ids.PROGRESS, "done", timeout=120)
    page.wait_text(ids.DECISION, "Reading.", timeout=30)
    page.settle()
    text = page.text(ids.DECISION)
    assert "Horizon 10 years" in text and "All designs on estonia's population" in text
    assert "90 % CI of the mean" in text
    rows = page.driver.find_elements("css selector", f"#{ids.DECISION} tbody tr")
    assert len(rows) == 3
    assert "best" in rows[0].text
    flags = ("not distinguishable from the best", "below the best")
    assert all(any(f in r.text for f in flags) for r in rows[1:]), [r.text for r in rows]
    assert all("paired over common seeds" in r.text for r in rows[1:])  # one population, one horizon
    # the table is the first thing after the controls: above the key figures and the curves
    order = page.driver.execute_script(
        "var a = document.getElementById(arguments[0]), b = document.getElementById(arguments[1]);"
        "return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING;", ids.DECISION, ids.KEYS)
    assert order
    before = [r.text.split("\n")[0] for r in rows]
    _choose(page, ids.SORT, "public money per")
    page.wait_text(ids.DECISION, "Sorted by public money per additional adopter", timeout=30)
    after = [r.text.split("\n")[0] for r in page.driver.find_elements(
        "css selector", f"#{ids.DECISION} tbody tr")]
    assert sorted(before) == sorted(after)
