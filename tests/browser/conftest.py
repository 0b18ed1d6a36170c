"""Browser tests: Playwright drives Debian's chromium (``apt-get install chromium``; never a
downloaded browser) against the Django server the test starts (pytest-django's
``live_server``, on the test's real PostgreSQL). A failing test leaves a screenshot of
every page it had open in ``$BROWSER_SCREENSHOTS`` (default: a temporary directory), named
in the failure report.

Playwright's synchronous API runs an event loop in this thread while a browser is open:
Django would refuse ORM calls from it as "async", so the browser lives for one test and
``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for that test only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 900}
SHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS") or Path(tempfile.gettempdir()) / "edi-browser")


@pytest.fixture
def browser_context(monkeypatch, live_server, request):
    """A fresh chromium (own profile) with one 1,366 x 900 context; closed after the test."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.fail(f"Debian's chromium is needed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    profile = tempfile.mkdtemp(prefix="edi-chromium-")
    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport=VIEWPORT,
            accept_downloads=True,
            base_url=live_server.url,
        )
        context.set_default_timeout(15_000)
        request.node.browser_context = context
        try:
            yield context
        finally:
            context.close()
    finally:
        playwright.stop()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context):
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()


def login_cookie(browser_context, live_server, user) -> None:
    """Log ``user`` in without the form (the login test uses the form)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    browser_context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("analyst", "", "pw-analyst-12345")


@pytest.fixture
def logged_in(browser_context, live_server, superuser, page):
    login_cookie(browser_context, live_server, superuser)
    return page


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    context = getattr(item, "browser_context", None)
    if report.when != "call" or not report.failed or context is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for index, open_page in enumerate(context.pages):
        target = SHOTS / f"{item.name}-{index}.png"
        try:
            open_page.screenshot(path=str(target), full_page=True)
        except Exception as exc:  # a crashed page: say so, keep the test's own failure
            saved.append(f"{target} (not taken: {type(exc).__name__})")
            continue
        saved.append(f"{target} ({open_page.url})")
    report.sections.append(("browser screenshots", "\n".join(saved) or "no page was open"))
