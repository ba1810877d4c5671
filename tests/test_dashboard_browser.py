"""The dashboard in a real browser: started as `make run` starts it (`brandvis dashboard`), against
the test stack holding a real analysis, every page opened in headless Chromium, what it shows
asserted, and a screenshot of each saved to tests/.screenshots/ (git-ignored)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from dashboard.tables import brand_columns
from shared import layout
from shared.report.tables import brands_table
from tests.analysis_fixtures import brand_video, finished_analysis, train_small_model
from tests.browser import browser, chromium_path
from tests.campaign_fixtures import season_campaign
from tests.conftest import ROOT, free_port

SHOTS = ROOT / "tests" / ".screenshots"

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (apt-get install chromium)")



@contextlib.contextmanager
def started_dashboard(config, tmp_path, **settings: str):
    """The dashboard as `make run` starts it (`settings`: BRANDVIS_* for this one), its URL."""
    port = free_port()
    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": config.endpoint, "BRANDVIS_DASHBOARD_PORT": str(port), **settings}
    log = open(tmp_path / "dashboard.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "dashboard"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError((tmp_path / "dashboard.log").read_text()) from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


@pytest.fixture
def dashboard(config, tmp_path):
    with started_dashboard(config, tmp_path) as url:
        yield url


def _readme_picture(shot, target, rows: int = 1760) -> None:
    """The top of a page (no sidebar, `rows` px down), 1,000 px wide, as a small JPEG or PNG."""
    import cv2

    image = cv2.imread(str(shot))
    crop = image[:rows, 280:]
    small = cv2.resize(crop, (1000, int(crop.shape[0] * 1000 / crop.shape[1])), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(target), small, [cv2.IMWRITE_JPEG_QUALITY, 82] if str(target).endswith(".jpg")
                else [cv2.IMWRITE_PNG_COMPRESSION, 9])


def test_every_page_in_a_real_browser(clients, storage, run_worker, dashboard, tmp_path):
    model = train_small_model()
    video = brand_video(tmp_path, model, seconds=20.0, seed=5)
    job_id = finished_analysis(clients, run_worker, model, video)
    import json

    report = json.loads(storage.get_bytes(layout.report_key(job_id)))
    brands = brands_table(report)
    top = brands.iloc[0]
    with browser() as b:  # a bookmarked page, first thing in a new session, still gets the app's navigation
        b.open(f"{dashboard}/models", wait_for_text="TRAINING_COMPLETED")
        sidebar = b.page.inner_text('[data-testid="stSidebar"]')
        assert "Train a model" in sidebar and "Analyze a video" in sidebar, sidebar
    with browser() as b:
        text = b.open(f"{dashboard}/?job={job_id}", wait_for_text="Brands seen")
        assert "Results" in text and f"{(brands['screen_time_s'] > 0).sum()} of {len(brands)}" in text
        assert top["label"] in text and video.path.name in text
        b.page.wait_for_selector('[data-testid="stDataFrame"] .dvn-scroller', timeout=30000)  # the grid loads late
        _brand_table_fits(b)
        b.screenshot(SHOTS / "results.png")
        if os.environ.get("BRANDVIS_README_SCREENSHOT"):  # regenerate the README's picture
            _readme_picture(SHOTS / "results.png", ROOT / "docs" / "img" / "results.jpg")
        for tab in ("Frames", "Media value", "Downloads"):  # screenshots to look at, each tab open
            b.page.get_by_role("tab", name=tab).click()
            b.page.wait_for_timeout(500)
            b.screenshot(SHOTS / f"results-{tab.lower().replace(' ', '-')}.png")
        # The slider's label: its widget code loads on first use, after the rest of the form shows
        text = b.open(f"{dashboard}/analyze", wait_for_text="Minimum confidence")
        b.screenshot(SHOTS / "analyze.png")
        assert "Start analysis" in text
        shown = b.page.locator('[data-testid="stSelectbox"]').first.evaluate(
            "e => e.innerText + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')")
        assert "logos" in shown  # the trained model is preselected
        text = b.open(f"{dashboard}/train", wait_for_text="TRAINING_COMPLETED")  # the models table
        assert "logos" in text and "Ground Truth" in text and "Extract frames and label" in text
        b.screenshot(SHOTS / "train.png")
        # A broken manifest: each problem is listed, nothing starts
        bad = tmp_path / "broken.manifest"
        bad.write_text('{"source-ref": "a.jpg"}\n{not json\n')
        b.page.get_by_role("tab", name="Labeled manifest").click()
        assert "Start training" in b.page.inner_text("body")
        form = b.page.locator('[data-testid="stForm"]').nth(1)  # media, manifest, names
        form.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(bad))
        form.get_by_label("Model name").fill("broken")
        b.page.get_by_role("button", name="Start training").click()
        # the problems are listed just after the line that says so: wait for them, not for the line
        b.page.wait_for_function("() => document.body.innerText.includes('was not accepted')"
                                 " && document.body.innerText.includes('line 2')", timeout=60000)
        text = b.page.inner_text("body")
        assert "broken.manifest line 2: not valid JSON" in text
        text = b.open(f"{dashboard}/models", wait_for_text="TRAINING_COMPLETED")
        assert "logos" in text and "Precision" in text and "local" in text
        b.screenshot(SHOTS / "models.png")
        text = b.open(f"{dashboard}/operations", wait_for_text="SUCCEEDED")
        assert job_id in text and "No dead letters." in text and "Workers" in text and "Run time" in text
        b.screenshot(SHOTS / "operations.png")
        b.open(f"{dashboard}/analyze", wait_for_text="Start analysis")
        _two_videos_in_a_campaign(b, clients, tmp_path)
        # A campaign: eight videos of a season (one undated), one failed; its charts draw, nothing raises
        season_campaign(clients)
        text = b.open(f"{dashboard}/campaign?campaign=Season+2026", wait_for_text="Screen time by date")
        assert "8 of 9" in text and "westvale-v-eastport.mp4 failed" in text and "1 of 8 analysed videos" in text
        b.page.wait_for_selector('[data-testid="stDataFrame"] .dvn-scroller', timeout=30000)
        charts_shown = b.page.locator('[data-testid="stVegaLiteChart"]')
        charts_shown.nth(2).wait_for(timeout=30000)  # share of voice, the video x brand heatmap, by date
        assert charts_shown.count() >= 3 and b.page.locator('[data-testid="stException"]').count() == 0
        assert b.page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').count() >= 3
        b.screenshot(SHOTS / "campaign.png")
        if os.environ.get("BRANDVIS_README_SCREENSHOT"):
            _readme_picture(SHOTS / "campaign.png", ROOT / "docs" / "img" / "campaign.png", rows=1580)
        # Self-hosted: every request of every page went to the dashboard itself (no font, icon or CDN host)
        assert b.hosts - {"data", "blob"} == {"127.0.0.1"}, b.hosts
        icon = b.page.evaluate("() => document.querySelector(\"link[rel='shortcut icon']\").href")
        assert icon.startswith(("data:image/svg+xml", dashboard + "/")), icon  # our own icon.svg, inlined or served


def _two_videos_in_a_campaign(b, clients, tmp_path) -> None:
    """Analyze: two files at once (from the browser straight to the bucket), named as one campaign, the
    first given a date and an event in the details grid (typed as a person would: Enter opens a cell, Enter
    commits), make two members."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from shared.campaigns import store as campaign_store
    from tests import media_factory

    files = [media_factory.make_video(tmp_path / name, seconds=1, fps=12, size=(64, 36), gop=12)
             for name in ("home.mp4", "away.mp4")]
    # Both go from the browser straight to the bucket (the component's <input type=file multiple>)
    b.page.locator("input.bv-input").set_input_files([str(f) for f in files])
    b.page.get_by_text("2 videos are uploaded: ready to analyze.").wait_for(timeout=60_000)
    # Each landed file reruns the page; the grid is edited once the last run, with both rows, is over
    b.page.wait_for_function("""() => document.querySelector('[data-testid="stApp"]')
        .getAttribute('data-test-script-state') === 'notRunning'
        && [...document.querySelectorAll('[data-testid="stForm"] td')].some(c => c.textContent === 'away.mp4')""",
                             timeout=30000, polling=200)
    b.page.get_by_label("Campaign", exact=True).fill("Spring 2026")
    grid = b.page.locator('[data-testid="stForm"] [data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    home = (box["x"] + 20, box["y"] + 35 + 17)  # home.mp4's (read-only) name cell: keys move from there
    for moves, typed in ((["ArrowRight", "ArrowRight"], "Cup final"), (["ArrowRight"], None)):
        # the cell's editor opens over the grid: glide's text area, or a date input; a click that
        # came while the grid was still settling selects nothing, so it is tried again
        editor = b.page.locator('textarea.gdg-input' if typed else 'input[type="date"]')
        for _ in range(3):
            b.page.mouse.click(*home)
            for key in [*moves, "Enter"]:
                b.page.keyboard.press(key)
            with contextlib.suppress(PlaywrightTimeout):
                editor.wait_for(timeout=5000)
                break
            b.page.keyboard.press("Escape")
        editor.fill(typed or "2026-03-14")
        b.page.keyboard.press("Enter")
    cells_js = "e => [...e.querySelectorAll('td')].map(c => c.textContent)"
    # The grid's text copy follows its canvas a moment later: give it up to 10 s, then compare
    grid.evaluate(f"""e => new Promise(done => {{ const t0 = Date.now(); const check = () => {{
        const c = ({cells_js})(e);
        if ((c[1] === '2026-03-14' && c[2] === 'Cup final') || Date.now() - t0 > 10000) done();
        else setTimeout(check, 100); }}; check(); }})""")
    cells = grid.evaluate(cells_js)
    assert cells[:3] == ["home.mp4", "2026-03-14", "Cup final"], cells
    b.page.get_by_role("button", name="Start analysis").click()
    b.page.wait_for_function("() => document.body.innerText.includes('See the campaign Spring 2026')", timeout=60000)
    assert "2 jobs started" in b.page.inner_text("body")
    members = {m.video: m.meta for m in campaign_store(clients).members("Spring 2026")}
    assert members == {"home.mp4": {"date": "2026-03-14", "event": "Cup final"}, "away.mp4": {}}
    # The link leads to the campaign, whose two videos are still queued
    b.page.get_by_text("See the campaign Spring 2026").click()
    b.page.wait_for_function("""() => document.querySelector('[data-testid="stApp"]')
        .getAttribute('data-test-script-state') === 'notRunning'
        && document.body.innerText.includes('2 of 2 videos.')""", timeout=30000, polling=200)  # its last line
    text = b.page.inner_text("body")
    assert "2 of the campaign's videos are still being analysed" in text and "0 of 2" in text, text
    assert b.page.locator('[data-testid="stException"]').count() == 0


def _brand_table_fits(b) -> None:
    """At 1,400 px beside the sidebar, the brand table needs no horizontal scroll (prominence is in
    view) and every header fits its column (the grid draws them on a canvas and cuts what does not)."""
    grid = b.page.locator('[data-testid="stDataFrame"]').first
    overflow = grid.evaluate("e => { const s = e.querySelector('.dvn-scroller'); return s.scrollWidth - s.clientWidth; }")
    assert overflow <= 1, f"the brand table is {overflow} px wider than the page"
    columns = {c: cfg for c, cfg in brand_columns().items() if cfg is not None}  # None: hidden on screen
    labels = [cfg["label"] for cfg in columns.values()]
    # Streamlit draws headers at the theme's small size (14 px); measured bold to be safe, 8 px padding each side
    widths = b.text_widths(labels, "600 14px")
    cut = [(label, round(w), cfg["width"]) for label, w, cfg in zip(labels, widths, columns.values())
           if w + 16 > cfg["width"]]
    assert not cut, f"headers wider than their columns (label, text px, column px): {cut}"
