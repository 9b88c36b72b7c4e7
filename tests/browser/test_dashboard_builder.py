"""The scheme builder in a real browser (issue 19): a scheme built from none is run, saved,
and offered on the Compare page; a bad value shows the CLI's FILE:LINE line."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.keys import Keys

from dashboard import testing
from dashboard.pages import builder as ids
from dashboard.pages import compare


def _field(page, key: str, field: str):
    """The control of one field of one card (Dash writes a dict id as sorted JSON)."""
    cid = json.dumps({"field": field, "key": key, "type": "bld-field"}, separators=(",", ":"))
    found = page.driver.execute_script("return document.getElementById(arguments[0]);", cid)
    assert found is not None, f"no control {cid}"
    return found


def _type(page, element, text: str) -> None:
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(text, Keys.TAB)
    page.settle()


def _choose(page, dropdown_id: str, text: str) -> None:
    page.click(dropdown_id)
    option = testing.wait_for(lambda: [o for o in page.driver.find_elements(
        "css selector", "[role='option']") if text in o.text], 10, message=f"option '{text}'")[0]
    option.click()
    page.driver.find_element("tag name", "body").send_keys(Keys.ESCAPE)  # close the menu over the page
    page.settle()


def _add(page, kind_text: str, key: str) -> None:
    _choose(page, ids.KIND, kind_text)
    page.click(ids.ADD)
    testing.wait_for(lambda: page.driver.find_elements("id", f"bld-card-{key}"), 20,
                     message=f"the card of {kind_text}")
    page.settle()


@pytest.mark.browser
def test_a_scheme_built_from_none_runs_saves_and_appears_in_compare(page, results_dir):
    page.open("/build")
    assert "No instrument yet" in page.text(ids.EDITOR)
    _add(page, "co financing:", "i0")
    _add(page, "diffusion grant:", "i1")
    assert "Pays for: co-finances further buyers' purchase of proven solutions" in page.text("bld-card-i1")

    _type(page, _field(page, "i0", "annual_budget_eur"), "2000000")
    page.wait_text("bld-card-i0", "= EUR 2.0 m")  # the echo, in the browser
    page.wait_text(ids.PLAIN, "EUR 2.0 m a year")  # the plain language, from the server
    _type(page, page.driver.find_element("id", ids.NAME), "built_in_test")
    page.wait_text(ids.CHECK, "built_in_test.yaml is valid")
    yaml_text = page.driver.execute_script(
        "return document.getElementById(arguments[0]).textContent;", ids.YAML_TEXT)
    assert "type: co_financing" in yaml_text and "type: diffusion_grant" in yaml_text
    assert "annual_budget_eur: 2000000" in yaml_text

    page.click(ids.RUN)
    page.wait_text(ids.PROGRESS, "done", timeout=120)
    page.wait_traces(ids.CURVES, ["built_in_test: built"], timeout=30)
    assert "built_in_test: built" in page.text(ids.KEYS)

    page.click(ids.SAVE)
    page.wait_text(ids.SAVED, "saved as “built_in_test”")
    saved = results_dir / "schemes" / "built_in_test.yaml"
    assert saved.is_file()
    from simpolicy import load_scenario

    sc = load_scenario(saved)
    assert [i.type for i in sc.scheme.instruments] == ["co_financing", "diffusion_grant"]

    page.open("/compare")
    page.click(compare.SCHEMES)
    testing.wait_for(lambda: [o for o in page.driver.find_elements("css selector", "[role='option']")
                              if "built_in_test (saved)" in o.text], 10, message="the saved scheme")


@pytest.mark.browser
def test_a_bad_value_shows_the_line_simpolicy_validate_prints(page):
    page.open("/build")
    _add(page, "co financing:", "i0")
    _type(page, _field(page, "i0", "rate"), "1.5")
    text = page.wait_text(ids.CHECK, "would not pass simpolicy validate")
    line = next(t for t in text.splitlines() if "rate" in t)
    assert line.startswith("my_scheme.yaml:") and ": scheme.instruments.0.rate: " in line
    number = int(line.split(":")[1])
    yaml_text = page.driver.execute_script(
        "return document.getElementById(arguments[0]).textContent;", ids.YAML_TEXT)
    assert yaml_text.splitlines()[number - 1].strip() == "rate: 1.5"  # the line of the file shown


@pytest.fixture(scope="module")
def tiny_search(results_dir):
    """A finished design search in the server's results folder (about 5 s: test_optimize's spec)."""
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(here))
    from test_optimize_spec import GOOD

    spec = results_dir.parent / "tiny_search.yaml"
    spec.write_text(GOOD)
    out = results_dir / "tiny_search"
    if not out.exists():
        exe = Path(sys.executable).with_name("simpolicy")
        r = subprocess.run([str(exe), "optimize", str(spec), "--workers", "1", "--out", str(out)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-1500:]
    from simpolicy.experiments.optdir import read_designs

    return read_designs(out)


@pytest.mark.browser
def test_a_search_front_opens_a_design_in_the_builder(page, tiny_search):
    from dashboard import search_view

    page.open("/studies?study=tiny_search")
    page.wait_text(search_view.PANEL, "Design search: the front")
    page.wait_traces(search_view.FRONT, ["the scheme as written", "designs tried (few replications)"])
    rate_of = "scheme.instruments.value_chain.rate"
    start = tiny_search[tiny_search["origin"] == "start"].iloc[0]
    rows = tiny_search[tiny_search["reevaluated"] & (tiny_search["origin"] != "start")
                       & ((tiny_search[rate_of] - start[rate_of]).abs() > 0.01)]
    design = rows.iloc[0]  # listed with a link, and not the scheme as written (design 1 may be)
    href = f"#st-search-designs a[href$='design={int(design['design'])}']"
    link = page.driver.find_element("css selector", href)
    link.click()
    testing.wait_for(lambda: "/build" in page.driver.current_url, 20, message="the builder")
    page.settle()
    name = f"tiny_search_design_{int(design['design'])}"
    page.wait_text(ids.CHECK, f"{name}.yaml is valid")
    rate = design[rate_of]
    budget = design["scheme.instruments.value_chain.annual_budget_eur"]
    text = page.text(ids.PLAIN)
    assert f"design {int(design['design'])} of the search tiny_search" in text
    from dashboard.components import fmt

    assert f"Pays {100 * rate:.0f} %" in text and f"{fmt(budget, 'EUR')} a year" in text
    box = _field(page, "i0", "rate")
    assert abs(float(box.get_attribute("value")) - rate) < 1e-9
