"""Headless-Chromium harness for end-to-end checks of the Streamlit dashboard.

Why this shape: tests must run offline, so we drive Debian's ``chromium`` package
(``apt-get install chromium``) through Playwright's ``executable_path`` and never
run ``playwright install`` (which downloads a browser). Streamlit renders in the
browser over a websocket, so a plain HTTP fetch only sees an empty shell; we wait
for the app's own "script finished" signal plus the text the test cares about.

Usage::

    from tests.browser import browser, chromium_path

    @pytest.mark.skipif(chromium_path() is None, reason="apt-get install chromium")
    def test_home(dashboard_url, tmp_path):
        with browser() as b:
            text = b.open(dashboard_url, wait_for_text="Brand screen time")
            b.screenshot(tmp_path / "home.png")
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

VIEWPORT = {"width": 1400, "height": 1000}

# The real binary, not the /usr/bin/chromium shell wrapper: the wrapper sources
# /etc/chromium.d (desktop flags, extension loading) and its /dev/shm check errors
# out on some container mounts.
_DEBIAN_CHROMIUM = "/usr/lib/chromium/chromium"

# True once Streamlit's page shows the wanted text and no script run is in flight.
# stApp carries data-test-script-state (running / rerunRequested / notRunning ...);
# the "Running..." status widget is checked as well in case that attribute changes.
# st.dataframe draws on a canvas; its cells live in a visually hidden accessibility table, so
# they count as shown text through textContent rather than innerText.
_TEXT_JS = """() => (document.body ? document.body.innerText : '') + '\\n' +
    [...document.querySelectorAll('[data-testid="stDataFrame"] td, [data-testid="stDataFrame"] th')]
        .map(c => c.textContent.trim()).join('\\n')"""

_READY_JS = """needle => {
    const app = document.querySelector('[data-testid="stApp"]');
    const text = (""" + _TEXT_JS + """)();
    if (!app || !text.includes(needle)) return false;
    const state = app.getAttribute('data-test-script-state');
    if (['running', 'rerunRequested', 'initial'].includes(state)) return false;
    return !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
}"""

# Window height needed to show everything: page height plus the hidden part of the
# tallest inner scroll container (Streamlit's main area is one).
_CONTENT_HEIGHT_JS = """() => {
    let extra = 0;
    for (const el of document.querySelectorAll('*')) {
        const oy = getComputedStyle(el).overflowY;
        if ((oy === 'auto' || oy === 'scroll') && el.scrollHeight > el.clientHeight)
            extra = Math.max(extra, el.scrollHeight - el.clientHeight);
    }
    return Math.ceil(document.documentElement.scrollHeight + extra);
}"""


def chromium_path() -> str | None:
    """Path of an installed Chromium (``$BRANDVIS_CHROMIUM`` overrides), else None.

    Tests should skip on None rather than let Playwright try to download one.
    """
    for candidate in (os.environ.get("BRANDVIS_CHROMIUM"), _DEBIAN_CHROMIUM, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class Page:
    """One browser tab sized like a desktop dashboard session."""

    def __init__(self, page) -> None:
        from urllib.parse import urlsplit

        self.page = page  # the raw Playwright page, for anything beyond open/screenshot
        self.hosts: set[str] = set()  # every host the page asked for anything (a self-hosted tool: ours only)
        page.on("request", lambda r: self.hosts.add(urlsplit(r.url).hostname or urlsplit(r.url).scheme))

    def open(self, url: str, wait_for_text: str, timeout_s: float = 60) -> str:
        """Navigate, wait until ``wait_for_text`` is shown and Streamlit is idle; return the shown text
        (the page's visible text, then the cells of its tables).

        On timeout raises AssertionError carrying what *was* visible, which is usually the
        fastest clue (a traceback box, "Please wait...", a connection error).
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
        try:
            self.page.wait_for_function(_READY_JS, arg=wait_for_text, timeout=timeout_s * 1000, polling=200)
        except PlaywrightTimeout:
            seen = self.page.evaluate(_TEXT_JS)
            raise AssertionError(f"{wait_for_text!r} not shown at {url} within {timeout_s}s; page text:\n{seen}") from None
        # Fonts and the fade-in of freshly rendered elements would otherwise blur screenshots.
        self.page.evaluate("document.fonts.ready.then(() => new Promise(r => setTimeout(r, 300)))")
        return self.page.evaluate(_TEXT_JS)

    def text_widths(self, texts: list[str], font: str) -> list[float]:
        """Pixel widths of `texts` in the page's own font family at `font` (CSS weight and size),
        for text a canvas draws (st.dataframe's headers), which the DOM cannot measure."""
        return self.page.evaluate("""([texts, font]) => {
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = font + ' ' + getComputedStyle(document.body).fontFamily;
            return texts.map(t => ctx.measureText(t).width);
        }""", [texts, font])

    def screenshot(self, path: str | os.PathLike) -> Path:
        """Save a full-page PNG of the current page and return its path.

        Streamlit scrolls inside its own container, so Playwright's ``full_page`` alone
        stops at the viewport; we grow the viewport to the content height for the shot.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        height = min(self.page.evaluate(_CONTENT_HEIGHT_JS), 20000)
        if height > VIEWPORT["height"]:
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
            self.page.wait_for_timeout(300)  # let Streamlit re-lay out (charts, grids) at the new size
        try:
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(VIEWPORT)
        return path


@contextlib.contextmanager
def browser(timeout_s: float = 60) -> Iterator[Page]:
    """Launch headless Debian Chromium and yield a fresh 1400x1000 :class:`Page`.

    Playwright passes ``--no-sandbox`` by default (needed when tests run as root in
    containers); ``--disable-dev-shm-usage`` keeps small /dev/shm mounts from crashing tabs.
    """
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("Chromium not found; apt-get install chromium (tests never download browsers)")
    with sync_playwright() as pw:
        chrome = pw.chromium.launch(
            executable_path=exe,
            headless=True,
            args=["--disable-dev-shm-usage", "--disable-gpu"],
            timeout=timeout_s * 1000,
        )
        try:
            context = chrome.new_context(viewport=VIEWPORT)
            yield Page(context.new_page())
        finally:
            chrome.close()
