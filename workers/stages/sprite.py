"""Sprite: one sheet per minute of video from the tiles extract captured, plus the VTT track.

The seed's "create sprite images" step, without a second decode: tiles were taken in extract's
pass. Sheet 0 also writes `thumbnails.vtt`, which depends only on the video's length and size.
"""

from __future__ import annotations

from shared import layout
from shared.media import sprites
from shared.media.images import decode_jpeg, encode_jpeg
from shared.messages import SpriteMessage
from workers.context import StageContext
from workers.registry import Result, stage


@stage("sprite", visibility_timeout=60, time_limit=600)
def sprite(msg: SpriteMessage, ctx: StageContext) -> Result:
    vid, sampling, facts = msg.video.video_id, msg.sampling, msg.facts
    tiles = sprites.layout(facts.end_s, facts.width, facts.height)
    wanted = sprites.sheet_tiles(tiles, msg.sheet)
    images = {}
    for seg in msg.segments:
        index = ctx.storage.get_json(layout.segment_index_key(vid, sampling, seg))
        if not index["tiles"]:
            continue
        strip = decode_jpeg(ctx.storage.get_bytes(layout.tiles_key(vid, sampling, seg)))
        images.update(sprites.split_strip(strip, index["tiles"], index["tile_size"][0]))
    sheet = sprites.compose_sheet(wanted, images)
    ctx.storage.put_bytes(layout.sprite_key(vid, sampling, msg.sheet), encode_jpeg(sheet, 85), "image/jpeg")
    if msg.sheet == 0:
        ctx.storage.put_bytes(layout.thumbnails_vtt_key(vid, sampling), sprites.webvtt(tiles).encode(), "text/vtt")
    missing = [t.number for t in wanted if t.number not in images]
    return Result(metrics={"tiles": len(wanted) - len(missing)})
