"""The dashboard in a real browser: each page loads in headless Chromium, shows the numbers of the
serving marts, and keeps serving while a run holds the warehouse. Screenshots go to docs/screenshots/."""

import os
import subprocess
import sys
import time

import duckdb
import pytest

from orchestration import settings
from browser_testkit import SCREENSHOTS, served


@pytest.fixture(scope="module")
def dashboard(pipeline_run):
    """`streamlit run dashboard/app.py` on the test warehouse's snapshot; yields its URL."""
    app = str(settings.REPO_ROOT / "dashboard" / "app.py")
    env = {**os.environ, "LOYALIST_WAREHOUSE": str(pipeline_run["warehouse"])}
    with served(lambda port: [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
                              "--server.port", str(port), "--browser.gatherUsageStats", "false",
                              "--server.fileWatcherType", "none"],
                env, "/_stcore/health", 60, "the dashboard") as url:
        yield url


def _metrics(driver, url: str, page: str, expected: int, name: str) -> dict[str, str]:
    """Open a page, wait until it shows ``expected`` metrics and stops running, screenshot it, and
    return its metrics as label -> value text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{url}/{page}")  # the default page (overview) is the root
    metric = "[data-testid='stMetric']"

    def ready(d):
        running = d.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']")
        return len(d.find_elements(By.CSS_SELECTOR, metric)) >= expected and not any(e.text for e in running)

    WebDriverWait(driver, 60).until(ready)
    time.sleep(1.0)  # charts draw after the data arrives
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"dashboard-{name}.png"))
    shown = {}
    for element in driver.find_elements(By.CSS_SELECTOR, metric):
        label = element.find_element(By.CSS_SELECTOR, "[data-testid='stMetricLabel']").text
        shown[label] = element.find_element(By.CSS_SELECTOR, "[data-testid='stMetricValue']").text
    return shown


@pytest.fixture()
def marts(pipeline_run):
    with duckdb.connect(str(settings.snapshot_path(pipeline_run["warehouse"])), read_only=True) as con:
        yield con


def _one(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()[0][0]


def test_overview_shows_the_totals_of_customer_360(browser, dashboard, marts):
    shown = _metrics(browser, dashboard, "", 3, "overview")
    assert shown["Customers"] == f"{_one(marts, 'select count(*) from customer_360'):,}"
    assert shown["Revenue"] == f"{_one(marts, 'select sum(monetary) from customer_360'):,.0f}"
    assert shown["Margin"] == f"{_one(marts, 'select sum(margin) from customer_360'):,.0f}"


def test_segment_explorer_shows_the_largest_segment(browser, dashboard, marts):
    shown = _metrics(browser, dashboard, "segments", 3, "segments")
    customers, hesitating = marts.execute(
        "select customers, hesitating_customers from segment_summary order by customers desc limit 1").fetchall()[0]
    assert shown["Customers"] == f"{customers:,}" and shown["Hesitating customers"] == f"{hesitating:,}"


def test_affinities_list_the_sku_rules(browser, dashboard, marts):
    shown = _metrics(browser, dashboard, "affinities", 1, "affinities")
    rules = _one(marts, "select count(*) from product_affinities where affinity = 'bought together' and level = 'sku' "
                        "and segment_by = 'all'")
    assert shown["Rules"] == (f"{rules:,}" if rules < 50 else "50+")


def test_scores_show_the_bands(browser, dashboard, marts):
    bands = dict(marts.execute("select purchase_band, count(*) from customer_360 where purchase_band is not null "
                               "group by all").fetchall())
    shown = _metrics(browser, dashboard, "scores", len(bands), "scores")
    assert {label.lower(): value for label, value in shown.items()} == {band: f"{n:,}" for band, n in bands.items()}


def test_audience_builder_counts_the_audience(browser, dashboard, marts):
    shown = _metrics(browser, dashboard, "audiences", 1, "audiences")
    assert shown["Customers"] == f"{_one(marts, 'select count(*) from audience_lapsed_sale_buyers'):,}"


def test_the_dashboard_keeps_serving_while_a_run_holds_the_warehouse(browser, dashboard, marts, pipeline_run):
    hold = ("import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.readline()")
    run = subprocess.Popen([sys.executable, "-c", hold, str(pipeline_run["warehouse"])],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline().strip() == "locked"
        shown = _metrics(browser, dashboard, "", 3, "overview-during-a-run")
        assert shown["Customers"] == f"{_one(marts, 'select count(*) from customer_360'):,}"
    finally:
        run.stdin.write("\n")
        run.stdin.flush()
        run.wait(timeout=30)
