"""Sprite sheets (one per minute, a tile every 2 s) and their WebVTT thumbnails track.

The layout is a pure function of the video's length and display size, so extract (which captures
the tiles in its decode pass), sprite (which lays them out) and the VTT writer agree without
talking to each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from shared.media.frames import TILE_EVERY_S

TILE_WIDTH = 160
SHEET_SECONDS = 60
COLUMNS = 6
TILES_PER_SHEET = SHEET_SECONDS // TILE_EVERY_S  # 30: 6 columns x 5 rows


@dataclass(frozen=True)
class Tile:
    number: int  # j: the tile for t = 2j
    start_s: float
    end_s: float
    sheet: int
    x: int
    y: int
    w: int
    h: int


def tile_size(display_width: int, display_height: int) -> tuple[int, int]:
    height = max(2, int(round(TILE_WIDTH * display_height / max(display_width, 1) / 2)) * 2)
    return TILE_WIDTH, height


def tile_count(end_s: float) -> int:
    return max(1, math.ceil(end_s / TILE_EVERY_S - 1e-9))


def sheet_count(end_s: float) -> int:
    return math.ceil(tile_count(end_s) / TILES_PER_SHEET)


def layout(end_s: float, display_width: int, display_height: int) -> list[Tile]:
    w, h = tile_size(display_width, display_height)
    tiles = []
    for j in range(tile_count(end_s)):
        pos = j % TILES_PER_SHEET
        tiles.append(Tile(number=j, start_s=j * TILE_EVERY_S, end_s=min((j + 1) * TILE_EVERY_S, end_s),
                          sheet=j // TILES_PER_SHEET, x=(pos % COLUMNS) * w, y=(pos // COLUMNS) * h, w=w, h=h))
    return tiles


def sheet_tiles(tiles: list[Tile], sheet: int) -> list[Tile]:
    return [t for t in tiles if t.sheet == sheet]


def compose_sheet(tiles: list[Tile], images: dict[int, np.ndarray]) -> np.ndarray:
    """Place each tile's image at its spot; a tile with no image (truncated video) stays dark."""
    if not tiles:
        raise ValueError("a sheet needs at least one tile")
    w, h = tiles[0].w, tiles[0].h
    rows = math.ceil(len(tiles) / COLUMNS)
    cols = min(len(tiles), COLUMNS)
    sheet = np.zeros((rows * h, cols * w, 3), np.uint8)
    for tile in tiles:
        image = images.get(tile.number)
        if image is None:
            continue
        if image.shape[:2] != (h, w):
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        sheet[tile.y:tile.y + h, tile.x:tile.x + w] = image
    return sheet


def plan_sheets(segments: list[tuple[int, float, float]], end_s: float) -> list[list[int]]:
    """For each sheet (one per minute), the segments whose tiles fall in it: (index, start_s,
    end_s) per segment in; one list of segment indexes per sheet out, every sheet present."""
    sheets: list[list[int]] = [[] for _ in range(sheet_count(end_s))]
    for seg, start, end in segments:
        first = int(start // SHEET_SECONDS)
        last = int(max(start, end - 1e-6) // SHEET_SECONDS)
        for sheet in range(first, min(last, len(sheets) - 1) + 1):
            sheets[sheet].append(int(seg))
    return sheets


def sprite_filename(sheet: int) -> str:
    return f"sprite_{sheet}.jpg"


#: The thumbnails track beside the sheets.
VTT_FILENAME = "thumbnails.vtt"


def _ts(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def webvtt(tiles: list[Tile]) -> str:
    """`WEBVTT` thumbnails track: each cue points at its tile with a media fragment `#xywh=`."""
    lines = ["WEBVTT", ""]
    for t in tiles:
        lines += [f"{_ts(t.start_s)} --> {_ts(t.end_s)}", f"{sprite_filename(t.sheet)}#xywh={t.x},{t.y},{t.w},{t.h}", ""]
    return "\n".join(lines)


def split_strip(strip: np.ndarray, numbers: list[int], tile_w: int) -> dict[int, np.ndarray]:
    """Tiles are stored per segment as one horizontal strip; cut it back into tiles."""
    return {n: strip[:, i * tile_w:(i + 1) * tile_w] for i, n in enumerate(numbers)}
