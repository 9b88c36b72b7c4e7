"""A study opens from the results folder; paths outside it are refused."""

from __future__ import annotations

import pytest

from dashboard import testing
from dashboard.pages import studies as ids


@pytest.mark.browser
def test_a_sweep_opens_with_scatter_parallel_coordinates_and_sensitivity(page):
    page.open("/studies?study=tiny_study")
    page.wait_text(ids.INFO, "tiny_study", timeout=30)
    page.settle()
    assert page.traces(ids.SCATTER), "no points in the scatter"
    assert "parcoords" in page.trace_types(ids.PARCOORDS)
    box = page.driver.find_element("id", ids.SENS_BOX)
    assert box.is_displayed(), "a Morris study has sensitivity indices"
    assert "bar" in page.trace_types(ids.SENS)
    assert "finished runs shown" in page.text(ids.COUNT)


@pytest.mark.browser
def test_a_comparison_opens_as_a_study(page):
    page.open("/studies?study=tiny_compare")
    page.wait_text(ids.INFO, "tiny_compare", timeout=30)
    page.settle()
    names = page.traces(ids.SCATTER)
    assert "estonia" in names and "lithuania" in names, names


@pytest.mark.browser
@pytest.mark.parametrize("bad", ["../../etc", "..", "%2e%2e%2fetc", "/etc/passwd", "tiny_study/../.."])
def test_paths_outside_the_results_folder_are_refused(page, bad):
    page.open(f"/studies?study={bad}")
    page.wait_text(ids.REFUSED, "refused", timeout=10)
    assert not page.traces(ids.SCATTER)


def _column(page, column: str) -> list[str]:
    cells = page.driver.find_elements("css selector", f"#{ids.DESIGNS} td[data-dash-column='{column}']")
    return [c.text for c in cells]


@pytest.mark.browser
def test_a_grid_study_has_a_sortable_row_per_design_and_its_front(page):
    page.open("/studies?study=nested/tiny_grid")
    page.wait_text(ids.INFO, "tiny_grid", timeout=30)
    page.settle()
    designs = _column(page, "design")
    assert len(designs) == 4, f"one row per design of the 2 x 2 grid, not pooled: {designs}"
    assert all("rate" in d and "EUR" in d for d in designs), designs
    cis = _column(page, "additional_adopters_ci") + _column(page, "public_money_ci")
    assert all(" to " in c for c in cis), f"every mean has its 90 % CI of the mean: {cis}"
    assert "None" not in page.text(ids.INFO) and "4 design points" in page.text(ids.INFO)
    # sorting: the public money column, by value (numbers, not text)
    sort = page.driver.find_element(
        "css selector", f"#{ids.DESIGNS} th[data-dash-column='public_money'] .column-header--sort")
    sort.click()
    page.settle()
    money = [float(x.replace(",", "")) for x in _column(page, "public_money")]
    assert money == sorted(money) or money == sorted(money, reverse=True), money
    sort.click()
    page.settle()
    again = [float(x.replace(",", "")) for x in _column(page, "public_money")]
    assert again == list(reversed(money)) and again != money, (money, again)
    # effect against cost: one point per design, with error bars, the front marked
    points = page.driver.execute_script(
        "var p = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');"
        "return p._fullData.map(function (t) {"
        "  return [t.name, t._length,"
        "          !!(t.error_x && t.error_x.visible && t.error_y && t.error_y.visible)]; });",
        ids.FRONT)
    assert sum(n for _, n, _ in points) == 4, points
    assert all(bars for _, _, bars in points), points
    assert any(name.startswith("on the front") for name, _, _ in points), points


@pytest.mark.browser
def test_a_study_in_a_nested_folder_is_listed(page):
    page.open("/studies")
    page.driver.find_element("css selector", f"#{ids.STUDY}").click()
    options = testing.wait_for(lambda: [o.text for o in page.driver.find_elements(
        "css selector", f"#{ids.STUDY} [role='option'], .dash-dropdown-option, .Select-option")], 10,
        message="the study options")
    assert any(o.startswith("nested/tiny_grid") for o in options), options
