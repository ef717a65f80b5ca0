"""Browser tests: the real app, served on a free localhost port, driven in Debian's Chromium.

- The app runs in-process (werkzeug's threaded server) on a fresh SQLite database with the
  full test organisation (tests/web/org.py) and, per test, whatever diagrams it deploys.
- Chromium is /usr/bin/chromium (or SUPERVISION_CHROMIUM); Playwright never downloads a
  browser. Without Chromium or playwright the tests are skipped, unless
  SUPERVISION_REQUIRE_BROWSER=1 (CI), which turns that into a failure.
- `ui.shot("name")` saves a full-page screenshot under test-artifacts/screenshots/.
- A page that logs a JavaScript error or a Content-Security-Policy violation, or fails to
  load one of its own scripts, styles or images, fails the test.

Usage:

    def test_something(ui):
        ui.login("sup1")
        ui.goto("/tasks")
        expect(ui.page.get_by_role("heading", name="任务")).to_be_visible()
        ui.shot("inbox")
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

import db.models  # noqa: F401
from db.base import Base
from db.session import make_engine
from db.session import make_sessionmaker
from supervision.calendar import seed_from_chinese_calendar
from tests.conftest import CALENDAR_YEARS
from tests.factories import PASSWORD
from tests.web.org import make_full_org

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("SUPERVISION_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("SUPERVISION_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def unavailable_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (set SUPERVISION_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = unavailable_reason()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"SUPERVISION_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()
    playwright.stop()


@dataclass
class LiveServer:
    """The running app and a way to prepare data in its database."""

    url: str
    app: object
    sessions: object
    engine: object

    @contextmanager
    def db(self):
        """A session whose work is committed at the end of the block."""
        with self.sessions.begin() as session:
            yield session


@pytest.fixture
def live_server(tmp_path, monkeypatch) -> Iterator[LiveServer]:
    from web import create_app

    monkeypatch.setenv("SUPERVISION_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_from_chinese_calendar(session, CALENDAR_YEARS)
        make_full_org(session)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "browser-tests", "TESTING": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{server.server_port}",
            app=app,
            sessions=sessions,
            engine=app.extensions["supervision.engine"],
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["db.engine"].dispose()
        engine.dispose()


@dataclass
class Ui:
    """One browser tab on the live app, with the helpers every story needs."""

    page: object
    server: LiveServer
    test_name: str
    problems: list[str] = field(default_factory=list)
    shots: int = 0

    def goto(self, path: str):
        response = self.page.goto(self.server.url + path)
        return response

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.page.context.clear_cookies()
        self.goto("/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"login as {username} failed"

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot; the number keeps them in story order."""
        self.shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.test_name}__{self.shots:02d}-{name}")
        path = SCREENSHOTS / f"{safe}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _watch(page, server_url: str, problems: list[str]) -> None:
    def on_console(message):
        # "Failed to load resource" also reports pages answered 4xx on purpose (a refused
        # login, a 404 page); failed scripts, styles and images are caught by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error: {message.text}")

    def on_response(response):
        own = response.url.startswith(server_url)
        if own and response.request.resource_type in ("script", "stylesheet", "image", "font"):
            if response.status >= 400:
                problems.append(f"{response.status} for {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", on_response)


def _open(browser, live_server, request, viewport) -> Iterator[Ui]:
    context = browser.new_context(
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=viewport is PHONE,
        has_touch=viewport is PHONE,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    ui = Ui(page=page, server=live_server, test_name=request.node.name)
    _watch(page, live_server.url, ui.problems)
    try:
        yield ui
    finally:
        context.close()
    assert ui.problems == [], "the browser reported problems"


@pytest.fixture
def ui(browser, live_server, request) -> Iterator[Ui]:
    """A laptop-sized tab."""
    yield from _open(browser, live_server, request, LAPTOP)


@pytest.fixture
def phone_ui(browser, live_server, request) -> Iterator[Ui]:
    """A phone-sized tab (390×844, touch)."""
    yield from _open(browser, live_server, request, PHONE)


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots():
    """Screenshots of this run only: old ones would hide a page that is no longer visited."""
    if SCREENSHOTS.exists() and os.environ.get("PYTEST_XDIST_WORKER") is None:
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    yield
