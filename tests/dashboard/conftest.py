"""Browser fixtures shared by the dashboard and Dagster UI tests: Debian's Chromium and its driver,
installed here when missing (the test set-up), driven headless by Selenium."""

import os
import subprocess

import pytest

from browser_testkit import CHROMEDRIVER, CHROMIUM


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium and chromium-driver, installed when missing."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        apt = ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(apt, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True)
            subprocess.run(apt, env=env, check=True, capture_output=True)
    assert CHROMIUM.exists() and CHROMEDRIVER.exists()


@pytest.fixture(scope="session")
def browser(chromium):
    """Headless Chromium (--headless --no-sandbox --disable-gpu) through its Debian driver: no download."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1100"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()
