"""A study opens from the results folder; paths outside it are refused."""

from __future__ import annotations

import pytest

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
