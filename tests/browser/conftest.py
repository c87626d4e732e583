"""End-to-end tests of the admin in a real headless Chromium, driven through Selenium.

The browser is Debian's chromium with its own chromedriver (scripts/install-browser.sh installs
both). Without them these tests skip, unless REQUIRE_BROWSER=1 (CI), where a missing browser
fails them. One browser per test process (xdist worker); each test starts signed out on a
blank page, against pytest-django's live server and a database emptied after every test.
A failing test leaves a screenshot and the page's HTML in browser-artifacts/ (git-ignored).
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from core.demo import staff_permissions
from core.models import User

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "browser-artifacts"
# The machine has no internet: without the background-networking flags chromium keeps trying
# to reach Google's services and floods the log with refused connections.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1024",
)
PASSWORD = "browser-test-pw"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (./test.sh installs requirements.txt)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} not found: run scripts/install-browser.sh (as root) to install chromium"
    return None


class DriverHolder:
    """Starts chromium on first use, and again after a test that failed (its state is suspect)."""

    def __init__(self):
        self.driver = None
        self.profile = None

    def get(self):
        if self.driver is None:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service

            options = webdriver.ChromeOptions()
            options.binary_location = CHROMIUM
            self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
            for arg in (*CHROMIUM_ARGS, f"--user-data-dir={self.profile}"):
                options.add_argument(arg)
            # A driver path given: selenium does not try to download one (there is no network).
            self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
            self.driver.set_page_load_timeout(30)
        return self.driver

    def quit(self):
        if self.driver is not None:
            try:
                self.driver.quit()
            finally:
                self.driver = None
                shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="session")
def _drivers():
    reason = missing_browser()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    holder = DriverHolder()
    yield holder
    holder.quit()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_call_failed = report.failed
    return report


@pytest.fixture
def browser(_drivers, live_server, request):
    driver = _drivers.get()
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.get("about:blank")
    from .pages import AdminBrowser  # imports selenium: only once the browser is known to be there

    yield AdminBrowser(driver, live_server.url, PASSWORD)
    if not getattr(request.node, "browser_call_failed", False):
        driver.get("about:blank")  # no request of this page may reach the server once its rows are gone
    else:
        ARTIFACTS.mkdir(exist_ok=True)
        stem = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        try:
            driver.save_screenshot(f"{stem}.png")
            Path(f"{stem}.html").write_text(driver.page_source, encoding="utf-8")
        finally:
            _drivers.quit()


def _user(username, tenant, *, superuser=False):
    user = User.objects.create_user(
        username=username, password=PASSWORD, is_staff=True, is_superuser=superuser, tenant=tenant
    )
    if not superuser:
        user.user_permissions.set(staff_permissions())  # what core.demo gives a tenant's staff
    return user


@pytest.fixture
def staff(tenant):
    """A staff user of tenant acme, with the permissions a tenant's staff get."""
    return _user("acme-staff", tenant)


@pytest.fixture
def superuser(tenant):
    return _user("root", tenant, superuser=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the admin in a real headless Chromium (tests/browser/)")
