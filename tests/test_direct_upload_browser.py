"""The Analyze page's videos, and the Train page's videos and images to label, go from a real browser
straight to the bucket (headless Chromium, the dashboard started as `make run` starts it): the page then
holds each file at its content key."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from shared import layout
from shared.uploads import INCOMING
from tests.browser import browser, chromium_path
from tests.test_dashboard_browser import SHOTS, started_dashboard
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


def test_several_videos_go_up_with_a_line_each_and_one_too_large_is_refused_by_name(
        clients, storage, tmp_path, config):
    # Given a dashboard taking up to 1 MB a file, and three files, one of them over it
    files = {name: tmp_path / name for name in ("home.mp4", "away.mp4", "extra time.mp4")}
    for n, path in enumerate(files.values()):
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes([n]) * (2_000_000 if n == 2 else 300_000))
    with started_dashboard(config, tmp_path, BRANDVIS_UPLOAD_MAX_MB="1") as url, browser() as b:
        b.open(f"{url}/analyze", wait_for_text="Start analysis")
        # When the three are chosen at once
        b.page.locator("input.bv-input").set_input_files([str(p) for p in files.values()])
        # Then the two within the limit land at their content keys, and the page says so
        b.page.get_by_text("2 of 3 videos are uploaded: ready to analyze.").wait_for(timeout=60_000)
        for name in ("home.mp4", "away.mp4"):
            cid = hashlib.sha256(files[name].read_bytes()).hexdigest()[:16]
            assert storage.get_bytes(layout.source_key(cid, name)) == files[name].read_bytes()
        assert list(storage.list_keys(INCOMING)) == []
        # the too large one is named with its size and the setting, and never sent
        text = b.page.inner_text("body")
        assert "extra time.mp4 is 1.9 MB; the dashboard takes up to 1 MB a file (BRANDVIS_UPLOAD_MAX_MB)" in text
        assert "extra time.mp4: too large" in b.page.locator(".bv-status").inner_text()
        # a row of details per chosen file (the grid's text copy follows its canvas)
        b.page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stForm"] td')]
            .map(c => c.textContent).filter(t => t.endsWith('.mp4')).join('|')
            === 'home.mp4|away.mp4|extra time.mp4'""", timeout=30000, polling=200)
        # And the analysis starts one job per video in the bucket
        b.page.get_by_role("button", name="Start analysis").click()
        b.page.get_by_text("2 jobs started").wait_for(timeout=60_000)
        sources = sorted(k.rsplit("/", 1)[-1] for k in storage.list_keys("") if "/source/" in k)
        assert sources == ["away.mp4", "home.mp4"]


def test_videos_and_images_to_label_go_from_the_browser_to_the_bucket(
        clients, storage, dashboard, tmp_path):  # noqa: F811
    import cv2
    import numpy as np

    from shared.jobs import JobStore
    from tests import media_factory

    # Given a video and an image to label
    video = media_factory.make_video(tmp_path / "match.mp4", seconds=1, fps=12, size=(64, 36), gop=12)
    image = tmp_path / "crowd.png"
    cv2.imwrite(str(image), np.full((48, 64, 3), 200, np.uint8))
    with browser() as b:
        b.open(f"{dashboard}/train", wait_for_text="Extract frames and label")
        # When both are chosen in the Train page's upload control, and the labeling job is asked for
        b.page.locator("input.bv-input").first.set_input_files([str(video), str(image)])
        b.page.get_by_text("2 files are uploaded: ready to label.").wait_for(timeout=60_000)
        assert list(storage.list_keys(INCOMING)) == []
        form = b.page.locator('[data-testid="stForm"]').first
        form.get_by_role("textbox", name="Labels").fill("Acme, Borealis")
        form.get_by_role("textbox", name="Model name").fill("logos")
        b.page.get_by_role("button", name="Extract frames and label").click()
        b.page.get_by_text(re.compile(r"^logos version 1: job ")).wait_for(timeout=60_000)
        # A manifest's images go the same way: it may name them, and nothing else
        b.page.get_by_role("tab", name="Labeled manifest").click()
        b.page.locator("input.bv-input").nth(1).set_input_files(str(image))
        b.page.get_by_text("crowd.png is uploaded: ready to label.").wait_for(timeout=60_000)
        manifest = tmp_path / "labels.manifest"
        manifest.write_text("\n".join(json.dumps({"source-ref": ref, "class": 0, "class-metadata": {
            "class-name": "a", "type": "groundtruth/image-classification", "human-annotated": "yes"}})
            for ref in ("frames/crowd.png", "other.png")) + "\n")
        form = b.page.locator('[data-testid="stForm"]').nth(1)
        form.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(manifest))
        form.get_by_role("textbox", name="Model name").fill("scenes")
        b.page.get_by_role("button", name="Start training").click()
        b.page.wait_for_function("() => document.body.innerText.includes('was not accepted')"
                                 " && document.body.innerText.includes('line 2')", timeout=60000)
        text = b.page.inner_text("body")
        assert "'other.png' is not one of the images uploaded with the manifest" in text
        assert "'frames/crowd.png' is not one" not in text
    # Then the job labels the video and the image from where they landed, nothing uploaded again
    [job] = [j for j in JobStore(clients.dynamodb, clients.names.jobs_table).list_jobs(limit=5) if j.kind == "train"]
    cid = hashlib.sha256(video.read_bytes()).hexdigest()[:16]
    assert [v["key"] for v in job.request["videos"]] == [layout.source_key(cid, "match.mp4")]
    [still] = storage.get_json(job.request["images_key"])
    assert still["name"] == "crowd.png" and storage.get_bytes(still["key"]) == image.read_bytes()
    assert sorted(k.rsplit("/", 1)[-1] for k in storage.list_keys("") if k.endswith((".mp4", ".png"))) == [
        "crowd.png", "match.mp4"]


def test_a_file_the_browser_cannot_send_is_said_and_not_waited_for(clients, storage, dashboard, tmp_path):  # noqa: F811
    # Given two videos, and a network on which the POST of one never reaches the bucket
    files = [tmp_path / name for name in ("home.mp4", "away.mp4")]
    for n, path in enumerate(files):
        path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes([n]) * 100_000)

    def lose_away(route) -> None:
        if route.request.method == "POST" and b"away.mp4" in (route.request.post_data_buffer or b""):
            route.abort()
        else:
            route.fallback()

    with browser() as b:
        b.page.route("**/*", lose_away)
        b.open(f"{dashboard}/analyze", wait_for_text="Start analysis")
        # When both are chosen
        b.page.locator("input.bv-input").set_input_files([str(p) for p in files])
        # Then the page says which one could not be sent, and goes on with the other
        b.page.get_by_text("1 of 2 videos are uploaded: ready to analyze.").wait_for(timeout=60_000)
        alert = b.page.locator('[data-testid="stAlert"]', has_text="Could not reach the bucket")
        assert "BRANDVIS_UPLOAD_DIRECT=false" in alert.first.inner_text()
        b.page.get_by_role("button", name="Start analysis").click()
        b.page.get_by_text(re.compile(r"^Job \d{8}-\d{6}-\w+: QUEUED$")).wait_for(timeout=60_000)
        assert [k.rsplit("/", 1)[-1] for k in storage.list_keys("") if "/source/" in k] == ["home.mp4"]
