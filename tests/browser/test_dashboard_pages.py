"""Every page of the dashboard loads in Chromium without a console error, and the links work."""

from __future__ import annotations

import pytest

PAGES = [("/", "Compare schemes"), ("/compare", "Compare schemes"), ("/what-if", "What-if"),
         ("/studies", "Studies"), ("/scenario", "Scenario")]


@pytest.mark.browser
@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_page_loads_without_console_errors(page, path, heading):
    page.open(path)
    assert heading in page.driver.find_element("css selector", "#page h2").text
    # the page fixture fails the test on any SEVERE console entry


@pytest.mark.browser
def test_navigation_links_open_each_page(page):
    page.open("/compare")
    for text, heading in (("What-if", "What-if"), ("Studies", "Studies"), ("Scenario", "Scenario"),
                          ("Compare schemes", "Compare schemes")):
        page.driver.find_element("link text", text).click()
        page.wait_text("page", heading, timeout=20)
        page.settle()
    assert "active" in page.driver.find_element("link text", "Compare schemes").get_attribute("class")


@pytest.mark.browser
def test_index_loads_nothing_from_the_network(page):
    page.open("/")
    urls = page.driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });")
    outside = [u for u in urls if not u.startswith(page.url)]
    assert not outside, f"requests outside the dashboard: {outside[:5]}"
