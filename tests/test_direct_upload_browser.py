"""The Analyze page's video goes from a real browser straight to the bucket (headless Chromium, the
dashboard started as `make run` starts it): the page then holds the video at its content key."""

from __future__ import annotations

import hashlib
import re

import pytest

from shared import layout
from shared.uploads import INCOMING
from tests.browser import browser, chromium_path
from tests.test_dashboard_browser import SHOTS
from tests.test_dashboard_browser import dashboard  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="apt-get install chromium")


def test_a_video_goes_from_the_browser_to_the_bucket(clients, storage, dashboard, tmp_path):  # noqa: F811
    # Given a file on the analyst's machine (content only matters here: probe is not run)
    video = tmp_path / "final match.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4000)
    cid = hashlib.sha256(video.read_bytes()).hexdigest()[:16]
    with browser() as b:
        b.open(f"{dashboard}/analyze", wait_for_text="Start analysis")
        # When it is chosen in the page's upload control (inside the component's shadow root)
        b.page.locator("input.bv-input").set_input_files(str(video))
        # Then it is posted to the bucket and the page adopts it at its content key
        b.page.get_by_text("final match.mp4 is uploaded: ready to analyze.").wait_for(timeout=60_000)
        assert storage.get_bytes(layout.source_key(cid, "final_match.mp4")) == video.read_bytes()
        assert list(storage.list_keys(INCOMING)) == []
        b.screenshot(SHOTS / "analyze-uploaded.png")
        # And the analysis starts on that video, nothing uploaded again
        b.page.get_by_role("button", name="Start analysis").click()
        b.page.get_by_text(re.compile(r"^Job \d{8}-\d{6}-\w+: QUEUED$")).wait_for(timeout=60_000)
        assert [k for k in storage.list_keys("") if "/source/" in k] == [layout.source_key(cid, "final_match.mp4")]
