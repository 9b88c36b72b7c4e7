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
