"""The Label page in a real browser (headless Debian Chromium, as tests/test_dashboard_browser.py):
a training job from a video waits on the built-in labeler, with a trained model of the same name
proposing boxes; a person says "no brand here" on the first frame, draws a box with the mouse on
the next and picks its label, accepts the proposals on the one after, finishes, and the job goes on
to training and succeeds. And a concept job (one label per frame) through Streamlit's AppTest."""

from __future__ import annotations

import os

import pytest

from devtools.synth.video import make_brand_video
from shared.jobs import FAILED, SUCCEEDED, WAITING, JobStore
from shared.labeling.builtin import BuiltinLabeler
from shared.labeling.propagate import iou
from shared.labeling.store import FrameLabel, LabelStore
from shared.messages import Sampling
from shared.models.dataset import Box
from shared.submit import Submitter
from tests.analysis_fixtures import install_model, train_small_model
from tests.browser import _READY_JS, _TEXT_JS, browser, chromium_path
from tests.conftest import ROOT, wait_for, wait_for_job

# the fixture that runs `brandvis dashboard` on the test stack, and where screenshots go
from tests.test_dashboard_browser import SHOTS, dashboard  # noqa: F401

needs_chromium = pytest.mark.skipif(chromium_path() is None,
                                    reason="Chromium is not installed (apt-get install chromium)")

# Seed 30 of the generated 10 s video, sampled at 1 frame/s: frame 1 (t=0) holds no brand (the
# generator's first logo appears at 0.5 s), Cobalt is on frames 2-8 and Borealis on 6-10, so each
# label has at least 3 boxes to train on. Borealis is listed first: the box drawn gets it, and its
# label has to be picked.
SEED, SECONDS, LABELS = 30, 10.0, ["Borealis", "Cobalt"]


def _settle(b, needle: str, timeout_s: float = 60) -> str:
    """After a click or key: Streamlit idle (a new canvas also reports its size once) and `needle` shown."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    b.page.wait_for_timeout(500)
    try:
        b.page.wait_for_function(_READY_JS, arg=needle, timeout=timeout_s * 1000, polling=200)
    except PlaywrightTimeout:
        raise AssertionError(f"{needle!r} not shown; page text:\n{b.page.evaluate(_TEXT_JS)}") from None
    b.page.wait_for_timeout(500)
    b.page.wait_for_function(_READY_JS, arg=needle, timeout=timeout_s * 1000, polling=200)
    return b.page.evaluate(_TEXT_JS)


def _click(b, selector: str, first: bool = False) -> None:
    """Click the visible element `selector` names (a button with a tooltip has a hidden twin, for
    layout) once Streamlit is idle; `first`: the first of several."""
    found = b.page.locator(selector).filter(visible=True)
    wait_for(lambda: b.page.evaluate(_READY_JS, "Save & next") and (first or found.count() == 1), 60,
             f"{selector} on an idle page")
    (found.first if first else found).click()


def _rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("■ Box")]


def _readme_picture(shot, target) -> None:
    """The page without the sidebar, down to the box rows, 1,000 px wide, in 256 colours (< 300 KB)."""
    import cv2
    from PIL import Image

    image = cv2.imread(str(shot))
    crop = image[60:1160, 330:1360]
    small = cv2.resize(crop, (1000, int(crop.shape[0] * 1000 / crop.shape[1])), interpolation=cv2.INTER_AREA)
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB)).quantize(256).save(target, optimize=True)


@needs_chromium
def test_label_a_waiting_job_in_the_browser_and_it_trains(clients, run_worker, dashboard, tmp_path):  # noqa: F811
    model = train_small_model()
    install_model(clients, model, name="logos")  # a version of the same name: its detections are proposed
    video = make_brand_video(tmp_path / "label.mp4", model.bench.brands, model.bench.distractors, seconds=SECONDS,
                             seed=SEED)
    run_worker(concurrency=2)
    job, mv = Submitter(clients).train_media([video.path], LABELS, "logos", sampling=Sampling.at_fps(1))
    store = JobStore(clients.dynamodb, clients.names.jobs_table)

    def waiting():
        j = store.get_job(job.job_id)
        assert j.status != FAILED, j.error
        return j if j.status == WAITING else None

    wait_for(waiting, 180, "the job to wait for labels")
    _, task = BuiltinLabeler(clients).for_job(job.job_id)
    assert task.prelabel is not None and (task.prelabel.name, task.prelabel.model_version) == ("logos", 1)
    seq = task.sequences[0]
    assert len(seq.frames) == 10 and seq.times[:3] == [0.0, 1.0, 2.0]
    truth = [[Box(label, x0, y0, x1 - x0, y1 - y0) for label, (x0, y0, x1, y1) in video.boxes_at(t) if label in LABELS]
             for t in seq.times]
    assert truth[0] == [] and [b.label for b in truth[1]] == ["Cobalt"]
    labels = LabelStore(clients.dynamodb, clients.names.jobs_table)

    with browser() as b:
        page = b.page
        text = b.open(f"{dashboard}/label?job={job.job_id}", wait_for_text="frame 1 of 10")
        assert "proposals from logos v1" in text and "0 of 10 frames reviewed" in text

        # Frame 1: nothing there. The N key is "No brand here"
        page.keyboard.press("n")
        text = _settle(b, "frame 2 of 10")
        assert "Frame 1 saved: no brand" in text and "1 of 10 frames reviewed" in text
        assert labels.frames(task.name)[(1, 0)].boxes == []

        # Frame 2: the model's proposals are wrong or loose here: delete them (the first with the
        # canvas's own controls and the Delete key, the rest with their rows' bins)...
        proposed = _rows(text)
        if proposed:
            page.keyboard.press("e")  # the canvas's Edit toggle: select and move
            left, top, width, height = _row_box(proposed[-1])
            scale = _canvas_scale(page, task.frame_sizes["1"][0])
            canvas = page.locator(".dc-container canvas.upper-canvas").bounding_box()
            page.mouse.click(canvas["x"] + (left + width / 2) * scale, canvas["y"] + (top + height / 2) * scale)
            page.wait_for_timeout(300)
            page.keyboard.press("Delete")
            text = _settle(b, "Save & next")
            assert len(_rows(text)) == len(proposed) - 1
            page.keyboard.press("e")
            while _rows(text):
                _click(b, '[class*="st-key-label_del_"] button', first=True)
                text = _settle(b, "Save & next")
        # ...then draw the Cobalt logo's box with the mouse: it gets the picked label, Borealis
        scale = _canvas_scale(page, task.frame_sizes["1"][0])
        canvas = page.locator(".dc-container canvas.upper-canvas").bounding_box()
        want = truth[1][0]
        page.mouse.move(canvas["x"] + want.left * scale, canvas["y"] + want.top * scale)
        page.mouse.down()
        page.mouse.move(canvas["x"] + (want.left + want.width / 2) * scale,
                        canvas["y"] + (want.top + want.height / 2) * scale, steps=5)
        page.mouse.move(canvas["x"] + (want.left + want.width) * scale,
                        canvas["y"] + (want.top + want.height) * scale, steps=5)
        page.mouse.up()
        text = _settle(b, "Box 1:")
        assert len(_rows(text)) == 1 and _rows(text)[0].endswith("yours")
        assert page.get_by_role("combobox", name="Box 1").input_value() == "Borealis"
        # Pick its label in its row
        _choose(page, "Cobalt")
        _settle(b, "Save & next")
        wait_for(lambda: page.get_by_role("combobox", name="Box 1").input_value() == "Cobalt", 30,
                 "the box to be relabeled")
        _click(b, ".st-key-label_next button")
        text = _settle(b, "frame 3 of 10")
        drawn = labels.frames(task.name)[(1, 1)]
        assert drawn.source == "drawn" and [x.label for x in drawn.boxes] == ["Cobalt"]
        assert iou(drawn.boxes[0], want) > 0.9, (drawn.boxes, want)

        # Frame 3: the box drawn is proposed again where the logo moved (carried), dashed
        assert "proposed: carried from the frame before" in text, _rows(text)
        b.screenshot(SHOTS / "label.png")
        if os.environ.get("BRANDVIS_README_SCREENSHOT"):  # regenerate the README's picture
            _readme_picture(SHOTS / "label.png", ROOT / "docs" / "img" / "label-page.png")
        _click(b, ".st-key-label_accept button")
        text = _settle(b, "frame 4 of 10")
        accepted = labels.frames(task.name)[(1, 2)]
        assert accepted.source == "accepted" and "3 of 10 frames reviewed" in text
        cobalt = [x for x in accepted.boxes if x.label == "Cobalt"]
        assert cobalt and max(iou(x, truth[2][0]) for x in cobalt) > 0.8, (accepted.boxes, truth[2])

        # The remaining frames as a person would label them (what `brandvis label import` does with
        # another tool's export): training needs at least 3 boxes per label
        labels.save_frames(task.name, [FrameLabel(1, n, truth[n], source="imported") for n in range(3, 10)])
        text = b.open(f"{dashboard}/label?job={job.job_id}", wait_for_text="10 of 10 frames reviewed")
        assert "not reviewed" not in text and "Training needs" not in text
        _click(b, ".st-key-label_finish button")
        text = _settle(b, "is finished")
        assert f"Job {job.job_id} goes on" in text

    # The event resumes the job: collect, then training, on the frames labeled here
    done = wait_for_job(store, job.job_id, timeout=300)
    assert done.status == SUCCEEDED, done.error
    examples = done.result["examples"]
    assert examples["images"] == 10 and examples["negatives"] >= 1
    assert done.result["version"] == mv.version
    assert labels.get(task.name).status == "Completed"


def _choose(page, label: str) -> None:
    """Pick `label` in the first box row's list (opened again if a rerun closed it under the mouse)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(5):
        page.locator('[class*="st-key-label_box_"] button[aria-label="Open"]').first.click()
        try:
            page.get_by_role("option", name=label, exact=True).click(timeout=5000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not pick {label} in the box's row")


def _row_box(row: str) -> tuple[float, float, float, float]:
    """(left, top, width, height) from a row's "Box 2: 31×24 at (418, 130) · ..."."""
    size, at = row.split(": ", 1)[1].split(" · ")[0].split(" at ")
    w, h = (float(v) for v in size.split("×"))
    x, y = (float(v) for v in at.strip("()").split(", "))
    return x, y, w, h


def _canvas_scale(page, frame_width: int) -> float:
    return page.locator(".dc-container canvas.upper-canvas").bounding_box()["width"] / frame_width


def test_concept_frames_get_one_label_each(clients, store, run_worker, tmp_path):
    """Whole-frame labels: the label buttons pick the frame's label; no canvas."""
    import cv2
    import numpy as np
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import env

    images = []
    for i in range(3):
        path = tmp_path / f"still-{i}.jpg"
        cv2.imwrite(str(path), np.random.default_rng(i).integers(0, 255, (90, 160, 3), dtype=np.uint8))
        images.append(path)
    run_worker(concurrency=1)
    job, _ = Submitter(clients).train_media(images, ["indoor", "outdoor"], "scenes", kind="concept")
    wait_for(lambda: store.get_job(job.job_id).status == WAITING, 120, "the job to wait for labels")
    _, task = BuiltinLabeler(clients).for_job(job.job_id)
    with env(BRANDVIS_ENDPOINT_URL=clients.config.endpoint or ""):
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "label.py"), default_timeout=60)
        at.query_params["job"] = job.job_id
        at.run()
        assert not at.exception, at.exception
        assert at.subheader[0].value == "images · frame 1 of 3"
        assert not at.get("bidi_component")  # no canvas, no key listener for it
        at.button(key="label_pick_1").click().run()
        assert "This frame: **outdoor**" in [m.value for m in at.markdown]
        at.button(key="label_next").click().run()
        assert at.subheader[0].value == "images · frame 2 of 3"
        at.button(key="label_none").click().run()
        saved = LabelStore(clients.dynamodb, clients.names.jobs_table).frames(task.name)
        assert (saved[(1, 0)].labels, saved[(1, 0)].source) == (["outdoor"], "drawn") and saved[(1, 1)].labels == []
        warnings = [w.value for w in at.warning]
        assert warnings == ["1 of 3 frames are not reviewed: Finish leaves them out of training.",
                            "Training needs at least 3 frames per label; fewer so far: indoor (0), outdoor (1)."]
