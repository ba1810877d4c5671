"""The demo's broadcast generator: its truth is what an analyst would count, frame by frame."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import numpy as np
import pytest

from devtools.synth import broadcast
from devtools.synth.benchmark import make_typeset_logos

SIZE = (480, 270)


@pytest.fixture(scope="module")
def stadium() -> broadcast.Stadium:
    brands, distractors = make_typeset_logos(np.random.default_rng(7))
    return broadcast.make_stadium(brands, distractors, seed=7)


def clip(stadium: broadcast.Stadium, path: Path, seed: int = 3):  # type: ignore[no-untyped-def]
    return broadcast.make_broadcast(path, stadium, seconds=4.0, fps=10, size=SIZE, seed=seed, absent=["Nordane"])


def test_truth_boxes_lie_in_the_frame_and_name_exactly_the_visible_brands(stadium, tmp_path):
    # Given a short clip
    video = clip(stadium, tmp_path / "a.mp4")
    # Then it has one truth row per encoded frame, of the asked size
    with av.open(str(video.path)) as c:
        frames = list(c.decode(video=0))
    assert len(frames) == len(video.visible) == len(video.boxes) == 40
    assert (frames[0].width, frames[0].height) == SIZE
    # and every box is inside the frame, and the boxes name exactly the brands counted visible
    for seen, boxes in zip(video.visible, video.boxes):
        assert {label for label, _ in boxes} == seen
        for _, (x0, y0, x1, y1) in boxes:
            assert 0 <= x0 < x1 <= SIZE[0] and 0 <= y0 < y1 <= SIZE[1]
    assert any(video.visible) and "Nordane" not in set().union(*video.visible)
    assert video.absent == ["Nordane"] and video.screen_time("Nordane") == 0


def test_the_same_seed_gives_the_same_clip_and_another_seed_another(stadium, tmp_path):
    a, b = clip(stadium, tmp_path / "a.mp4"), clip(stadium, tmp_path / "b.mp4")
    c = clip(stadium, tmp_path / "c.mp4", seed=4)
    assert a.boxes == b.boxes and a.others_visible == b.others_visible
    assert c.boxes != a.boxes
    first, again = broadcast.stills(stadium, 3, SIZE, seed=2), broadcast.stills(stadium, 3, SIZE, seed=2)
    assert all(np.array_equal(x.image, y.image) and x.instances == y.instances for x, y in zip(first, again))


def test_a_player_in_front_of_a_mark_can_only_take_it_away(stadium):
    # Given the same moments of a match rendered with and without its players
    rng = np.random.default_rng(5)
    shown, others = broadcast._roles(stadium, ())
    match = broadcast.make_match(rng, 600.0, len(stadium.ads), shown, others, len(stadium.boards))
    empty = dataclasses.replace(match, players=[])
    counted, bare, views = [], [], {}
    for t in rng.uniform(0, 600.0, 300):
        k = match.rotation(t)
        if k not in views:
            views[k] = broadcast.View(stadium, [stadium.ads[i] for i in match.rotations[k][1]], SIZE)
        view = views[k]
        counted.append({(i.label, i.box) for i in broadcast.render(match, t, view)[1]})
        bare.append({(i.label, i.box) for i in broadcast.render(empty, t, view)[1]})
    # Then every mark counted with players in front is counted on the empty pitch too, and some are hidden
    assert all(c <= b for c, b in zip(counted, bare))
    assert sum(map(len, counted)) < sum(map(len, bare))


def test_labeled_stills_box_every_visible_mark_and_only_inside_the_frame(stadium):
    frames = broadcast.stills(stadium, 12, SIZE, seed=9)
    assert all(f.image.shape == (SIZE[1], SIZE[0], 3) for f in frames)
    assert len({f.image.tobytes() for f in frames}) == 12
    labels = {i.label for f in frames for i in f.instances if i.is_brand}
    assert len(labels) >= 3  # the stills show most brands
    for f in frames:
        for i in f.instances:
            x0, y0, x1, y1 = i.box
            assert 0 <= x0 < x1 <= SIZE[0] and 0 <= y0 < y1 <= SIZE[1]
