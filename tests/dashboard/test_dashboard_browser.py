"""The dashboard in a real browser: each page loads in headless Chromium, shows the numbers of the
serving marts, and keeps serving while a run holds the warehouse and while a real `loyalist run`
rewrites it. Screenshots go to docs/screenshots/."""

import os
import subprocess
import sys
import time

import shutil

import duckdb
import pytest

from orchestration import settings
from browser_testkit import SCREENSHOTS, served


def _served_dashboard(warehouse):
    """`streamlit run dashboard/app.py` on the snapshot beside ``warehouse`` (a context: its URL)."""
    app = str(settings.REPO_ROOT / "dashboard" / "app.py")
    env = {**os.environ, "LOYALIST_WAREHOUSE": str(warehouse)}
    return served(lambda port: [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
                                "--server.port", str(port), "--browser.gatherUsageStats", "false",
                                "--server.fileWatcherType", "none"],
                  env, "/_stcore/health", 60, "the dashboard")


@pytest.fixture(scope="module")
def dashboard(pipeline_run):
    """The dashboard on the test warehouse's snapshot; yields its URL."""
    with _served_dashboard(pipeline_run["warehouse"]) as url:
        yield url


def _metrics(driver, url: str, page: str, expected: int, name: str, choose: str | None = None) -> dict[str, str]:
    """Open a page (and click the option labelled ``choose``, if given), wait until it shows
    ``expected`` metrics and stops running, screenshot the whole page, and return its metrics as
    label -> value text."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{url}/{page}")  # the default page (overview) is the root
    metric = "[data-testid='stMetric']"

    def showing(count: int):
        def ready(d):
            running = d.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']")
            return len(d.find_elements(By.CSS_SELECTOR, metric)) >= count and not any(e.text for e in running)
        return ready

    # an element read while Streamlit redraws it goes stale: wait on, and read the page in one script
    wait = WebDriverWait(driver, 60, ignored_exceptions=(StaleElementReferenceException,))
    if choose is not None:
        wait.until(showing(1))
        driver.find_element(By.XPATH, f"//label[.//p[text()='{choose}']]").click()
    wait.until(showing(expected))
    time.sleep(1.0)  # charts draw after the data arrives
    _screenshot(driver, f"dashboard-{name}.png")
    return dict(driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => ["
        "e.querySelector(\"[data-testid='stMetricLabel']\").innerText.trim(),"
        "e.querySelector(\"[data-testid='stMetricValue']\").innerText.trim()])", metric))


def _screenshot(driver, file_name: str) -> None:
    """Screenshot the whole page: the window is made as tall as the page's content, then restored."""
    size = driver.get_window_size()
    height = driver.execute_script("return document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    driver.set_window_size(size["width"], max(size["height"], height + 100))
    time.sleep(0.5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / file_name))
    driver.set_window_size(size["width"], size["height"])


def _captions(driver) -> str:
    """The text of every caption on the page, one per line."""
    return driver.execute_script("return Array.from(document.querySelectorAll(\"[data-testid='stCaptionContainer']\"), "
                                 "e => e.innerText.trim()).join('\\n')")


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


def test_affinities_show_the_gap_histogram_of_the_top_sequence_rule(browser, dashboard, marts):
    levels = [level for (level,) in marts.execute("select distinct level from product_affinities "
                                                  "where affinity = 'bought next' order by level").fetchall()]
    level = "sku" if "sku" in levels else levels[0]  # the page's default level
    shown = _metrics(browser, dashboard, "affinities", 2, "affinities-bought-next", choose="bought next")
    # the rule chosen first is the level's highest-lift rule (rank 1); its pairs summed over the weeks
    pairs = _one(marts, "select sum(order_pairs) from product_affinity_gaps where level = ? and segment_by = 'all' "
                        "and rule_rank = 1", [level])
    assert pairs > 0 and shown["Order pairs of the rule"] == f"{pairs:,}"
    rules = _one(marts, "select count(*) from product_affinities where affinity = 'bought next' and level = ? "
                        "and segment_by = 'all'", [level])
    assert shown["Rules"] == (f"{rules:,}" if rules < 50 else "50+")


def test_scores_show_the_bands_and_the_calibration_curves(browser, dashboard, marts):
    bands = dict(marts.execute("select purchase_band, count(*) from customer_360 where purchase_band is not null "
                               "group by all").fetchall())
    held_out = dict(marts.execute("select task, sum(customers) from score_calibration group by all").fetchall())
    assert {"purchase", "churn"} <= set(held_out)
    shown = _metrics(browser, dashboard, "scores", len(bands) + len(held_out), "scores")
    assert shown == {**{band.capitalize(): f"{n:,}" for band, n in bands.items()},
                     **{f"Held-out customers ({task})": f"{n:,}" for task, n in held_out.items()}}
    captions = _captions(browser)
    for task, window_start, as_of in marts.execute("select distinct task, window_start, as_of from score_calibration").fetchall():
        assert f"{task.capitalize()}: customers scored as of {window_start}, outcome seen up to {as_of}." in captions
    assert captions.count("loyalist backtest gives the independent check") == len(held_out)


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


def test_the_dashboard_keeps_serving_while_loyalist_run_rewrites_the_warehouse(browser, pipeline_run, tmp_path):
    """A real run (dbt rebuilds the serving marts, the snapshot is republished) on a copy of the test
    warehouse, with the overview reloaded in the browser until the run ends. Page loads are timed
    against the run's log: dbt holds the warehouse's write lock between "Running dbt command" and
    "Finished dbt command"."""
    import threading

    warehouse = tmp_path / "loyalist.duckdb"
    for source in (pipeline_run["warehouse"], settings.snapshot_path(pipeline_run["warehouse"])):
        shutil.copy(source, tmp_path / source.name)
    with duckdb.connect(str(settings.snapshot_path(warehouse)), read_only=True) as con:
        customers = f"{_one(con, 'select count(*) from customer_360'):,}"
    env = {**os.environ, "LOYALIST_WAREHOUSE": str(warehouse), "DAGSTER_HOME": str(tmp_path / "dagster")}
    marks: dict[str, float] = {}
    lines: list[str] = []

    def follow(stream):
        for line in stream:
            lines.append(line)
            for mark in ("Running dbt command", "Finished dbt command"):
                if mark in line:
                    marks.setdefault(mark, time.monotonic())

    with _served_dashboard(warehouse) as url:
        run = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "run", "--only", "serving_models,dashboard_snapshot"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        reader = threading.Thread(target=follow, args=(run.stdout,), daemon=True)
        reader.start()
        loads = []
        while run.poll() is None:
            started = time.monotonic()
            shown = _metrics(browser, url, "", 3, "overview-during-a-run")
            assert shown["Customers"] == customers
            loads.append((started, time.monotonic()))
        reader.join(timeout=60)
        assert run.returncode == 0, "".join(lines[-40:])
        write = (marks["Running dbt command"], marks["Finished dbt command"])
        during = [load for load in loads if load[0] < write[1] and load[1] > write[0]]
        assert during, f"no page load overlapped dbt's write ({len(loads)} loads, write {write[1] - write[0]:.1f} s)"
        # and after the run, the dashboard reads the snapshot the run republished
        assert _metrics(browser, url, "", 3, "overview")["Customers"] == customers
