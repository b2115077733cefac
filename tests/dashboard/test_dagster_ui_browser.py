"""The Dagster UI in a real browser: the code location loads, the global lineage shows every group,
customer_360's upstream lineage runs from the raw tables through dbt and the Python models, and its
materialization shows the column lineage. Screenshots go to docs/screenshots/."""

import os
import time

import pytest
from browser_testkit import SCREENSHOTS, served
from dagster import AssetKey, AssetMaterialization, DagsterInstance

from orchestration import settings
from orchestration.project import dbt_executable


CUSTOMER_360 = AssetKey(["serving", "customer_360"])


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory, pipeline_run):
    """`dagster-webserver -m orchestration.definitions` on a scratch instance; yields its URL.

    The instance holds customer_360's materialization as the test pipeline run recorded it (its
    metadata copied over), so the UI has the column lineage to show.
    """
    home = tmp_path_factory.mktemp("dagster_ui")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    recorded = pipeline_run["instance"].fetch_materializations(CUSTOMER_360, limit=1).records[0].asset_materialization
    with DagsterInstance.from_config(str(home)) as instance:
        instance.report_runless_asset_event(AssetMaterialization(CUSTOMER_360, metadata=dict(recorded.metadata)))
    webserver = os.path.join(os.path.dirname(dbt_executable()), "dagster-webserver")
    env = {**os.environ, "DAGSTER_HOME": str(home), "LOYALIST_WAREHOUSE": str(home / "loyalist.duckdb")}
    with served(lambda port: [webserver, "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
                env, "/server_info", 120, "dagster-webserver", cwd=settings.REPO_ROOT) as url:
        yield url


def _page_text(driver, url: str, wanted: list[str], screenshot: str) -> str:
    """Open ``url``, wait until every wanted text shows, dismiss the welcome dialog, screenshot."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 90).until(lambda d: all(w in d.find_element(By.TAG_NAME, "body").text for w in wanted))
    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        button.click()  # the community sign-up dialog of a new instance
    time.sleep(1.0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / screenshot))
    return driver.find_element(By.TAG_NAME, "body").text


GROUPS = ["raw", "staging", "identity", "marts", "segmentation", "rules", "scores", "serving"]


def test_the_global_lineage_shows_every_group(browser, dagster_ui):
    text = _page_text(browser, f"{dagster_ui}/asset-groups", GROUPS, "dagster-global-lineage.png")
    assert "Error loading" not in text and "This graph is empty" not in text


def test_customer_360_lineage_runs_from_raw_data_through_the_python_models(browser, dagster_ui):
    wanted = ["customer_360", "customer_offers", "customer_scores", "customer_segments", "basket_rules",
              "fct_order_lines", "dim_customers", "orders", "web_accounts"]
    url = f"{dagster_ui}/assets/serving/customer_360?view=lineage&lineageScope=upstream&lineageDepth=30"
    text = _page_text(browser, url, wanted, "dagster-customer_360-upstream.png")
    assert all(group in text for group in GROUPS)


def test_customer_360_materialization_shows_its_column_lineage(browser, dagster_ui):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _page_text(browser, f"{dagster_ui}/assets/serving/customer_360?view=events", ["column_lineage"], "dagster-customer_360-events.png")
    row = browser.find_element(By.XPATH, "//tr[td[normalize-space()='column_lineage']]")
    # the innermost element with the link's text (its ancestors' text contains it too)
    row.find_element(By.XPATH, ".//*[text()[contains(., 'Show Markdown')]]").click()
    wanted = ["customer_scores.purchase_probability", "customer_segments.segment_name", "customer_offers.discount"]
    WebDriverWait(browser, 30).until(lambda d: all(w in d.find_element(By.TAG_NAME, "body").text for w in wanted))
    time.sleep(0.5)
    browser.save_screenshot(str(SCREENSHOTS / "dagster-customer_360-column-lineage.png"))
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "purchase_probability" in text and "marts/customer_rfm.monetary" in text
