"""Browser tests: a real Gwanje server (uvicorn, in a thread of this process, over a
fresh SQLite database seeded like the demo) driven by Debian's Chromium via Playwright.

Chromium comes from Debian (`/usr/bin/chromium`, installed by `./dev test`); Playwright
never downloads a browser here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LiveServer

from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.settings import Mode, Settings


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    """A demo-seeded Gwanje on a free port for the tests of one module."""
    import shutil

    from gwanje.cli.demo import seed_demo

    data_dir = tmp_path_factory.mktemp("live")
    shutil.copyfile(sqlite_template, data_dir / "gwanje.db")
    settings = Settings(mode=Mode.DEMO, data_dir=data_dir)
    engine = make_engine(settings.db_url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    server = LiveServer(ctx, seed_demo(ctx, cameras=24))
    server.start()
    yield server
    server.stop()
    ctx.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run ./dev test, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(locale="ko-KR", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
