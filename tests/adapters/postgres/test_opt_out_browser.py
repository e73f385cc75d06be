"""The opt-out page in a real browser: headless Chromium from Debian's packages, driven by
Selenium through Debian's chromedriver (nothing is downloaded). A person fills the form on a
phone-sized screen with the keyboard, submits a photo and reads the receipt; a second submit
of the same form is the same request. Screenshots go to test-artifacts/ for a person to see.

Needs /usr/bin/chromium and /usr/bin/chromedriver (``scripts/browser.sh`` installs them as
root); without them the test is skipped, except under CI, where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from ...conftest import EXAMPLES, REPO_ROOT
from ...fixtures.servers import app_server
from .subjects_fixtures import subjects_dsn

__all__ = ["subjects_dsn"]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO_ROOT / "test-artifacts"

APP = """
import os
from pathlib import Path

from starlette.applications import Starlette

from jurisgate.adapters.postgres_subjects import PostgresSubjectRegistry
from jurisgate.middleware.subjects import ReceiptSigner, SubjectsService

registry = PostgresSubjectRegistry(os.environ["BROWSER_DSN"])
signer = ReceiptSigner.from_file(Path(os.environ["BROWSER_KEY"]))
service = SubjectsService(registry, signer, init_schema=True)
app = Starlette(routes=service.endpoints.routes, lifespan=service.lifespan)
"""


@pytest.fixture
def server(tmp_path: Path, subjects_dsn: str) -> Iterator[str]:
    (tmp_path / "browser_app.py").write_text(APP)
    env = {
        "BROWSER_DSN": subjects_dsn,
        "BROWSER_KEY": str(EXAMPLES / "dev" / "receipt-ed25519.pem"),
    }
    options = ["--app-dir", str(tmp_path), "--no-access-log"]
    with app_server("uvicorn", "browser_app:app", options, cwd=tmp_path, env=env) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "needs Debian's chromium and chromium-driver (bash scripts/browser.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=390,1000",  # a phone's width
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"opt-out-{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")


def test_a_person_opts_out_with_the_keyboard_and_keeps_a_receipt(
    browser: WebDriver, server: str, subjects_dsn: str
) -> None:
    driver = browser
    find = driver.find_element

    def wait(by: str, value: str) -> WebElement:
        """The element once the page that has it has loaded (a submit navigates)."""
        located = expected_conditions.presence_of_element_located((by, value))
        return WebDriverWait(driver, 15).until(located)

    driver.get(f"{server}/opt-out")
    shot(driver, "form")
    # Every field has a visible label tied to it.
    for field in ("photo", "residency", "attest", "contact"):
        label = find(By.CSS_SELECTOR, f'label[for="{field}"]')
        assert label.is_displayed()
        assert label.text.strip()
    # Without script the server checks the form too: send it incomplete (the browser's own
    # `required` check switched off) and read the errors next to their fields.
    driver.execute_script("document.querySelector('form').noValidate = true")
    find(By.ID, "photo").send_keys(str(EXAMPLES / "photos" / "face-0003.jpg"))
    find(By.CSS_SELECTOR, "button[type=submit]").click()
    error = wait(By.ID, "attest-error")
    assert "Confirm" in error.text
    assert find(By.ID, "attest").get_attribute("aria-describedby") == "attest-error"
    shot(driver, "errors")
    # Now as a person with a keyboard: the photo, then Tab to the checkbox, Space, Enter.
    form_key = find(By.NAME, "idempotency_key").get_attribute("value")
    find(By.ID, "photo").send_keys(str(EXAMPLES / "photos" / "face-0003.jpg"))
    find(By.ID, "residency").send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    assert active.get_attribute("id") == "attest"
    active.send_keys(Keys.SPACE)
    assert find(By.ID, "attest").is_selected()
    find(By.ID, "contact").send_keys("me@example.org", Keys.ENTER)
    receipt = wait(By.ID, "receipt")
    assert find(By.TAG_NAME, "h1").text == "We received your request"
    receipt_text = receipt.text
    assert '"signature":' in receipt_text
    shot(driver, "receipt")
    # The same form sent twice (a double submit, a retry after a lost answer) carries the same
    # server-issued key, so it is one request: the second answer is the first receipt again.
    driver.get(f"{server}/opt-out")
    driver.execute_script(
        "document.querySelector('[name=idempotency_key]').value = arguments[0]", form_key
    )
    find(By.ID, "photo").send_keys(str(EXAMPLES / "photos" / "face-0003.jpg"))
    find(By.ID, "attest").click()
    find(By.ID, "contact").send_keys("me@example.org")
    find(By.CSS_SELECTOR, "button[type=submit]").click()
    again = wait(By.ID, "receipt")
    assert "already received" in find(By.TAG_NAME, "main").text
    assert again.text == receipt_text
    with psycopg.connect(subjects_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM jurisgate_optout_requests").fetchone()
    assert row == (1,)
