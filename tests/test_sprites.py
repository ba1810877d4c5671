"""Sprite layout and the WebVTT thumbnails track."""

from __future__ import annotations

import numpy as np

from shared.media import sprites


def test_one_sheet_per_minute_with_a_tile_every_two_seconds():
    tiles = sprites.layout(125.0, 1280, 720)
    assert len(tiles) == 63 and sprites.sheet_count(125.0) == 3
    assert [t.sheet for t in tiles[29:31]] == [0, 1]
    t = tiles[31]  # second tile of the second sheet
    assert (t.x, t.y, t.w, t.h, t.start_s, t.end_s) == (160, 0, 160, 90, 62, 64)
    assert tiles[-1].end_s == 125.0


def test_portrait_tiles_keep_the_aspect_ratio():
    assert sprites.tile_size(720, 1280) == (160, 284)


def test_vtt_cues_point_into_the_sheets():
    vtt = sprites.webvtt(sprites.layout(64.5, 1280, 720))
    lines = vtt.split("\n")
    assert lines[:4] == ["WEBVTT", "", "00:00:00.000 --> 00:00:02.000", "sprite_0.jpg#xywh=0,0,160,90"]
    assert "00:01:04.000 --> 00:01:04.500\nsprite_1.jpg#xywh=320,0,160,90" in vtt


def test_sheet_places_tiles_and_leaves_missing_ones_dark():
    tiles = sprites.sheet_tiles(sprites.layout(14.0, 320, 180), 0)
    images = {n: np.full((90, 160, 3), 50 + n, np.uint8) for n in range(7) if n != 3}
    sheet = sprites.compose_sheet(tiles, images)
    assert sheet.shape == (180, 960, 3)
    assert sheet[0, 160 * 2, 0] == 52 and sheet[0, 160 * 3, 0] == 0 and sheet[90, 0, 0] == 56
