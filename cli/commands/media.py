"""Media tools that need no stack: `probe`, `frames`, and `demo-data` (sample data to try with)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from cli.commands import config as load_config
from cli.output import err

if TYPE_CHECKING:
    from shared.messages import Sampling


def require_file(path: Path) -> None:
    from shared.submit import RequestError

    if not path.exists():
        raise RequestError(f"no such file: {path}")
    if not path.is_file():
        raise RequestError(f"not a file: {path}")


def sampling(fps: str | None, keyframes: bool) -> Sampling:
    from shared.messages import Sampling
    from shared.submit import RequestError, parse_fps

    if keyframes:
        return Sampling.every_keyframe()
    if fps is None:
        raise RequestError("choose --keyframes or --fps N")
    return parse_fps(fps)


def probe(video: Path = typer.Argument(..., metavar="VIDEO", help="A video file.")) -> None:
    """Print stream info and the keyframe list as JSON (the seed's ffprobe fields)."""
    from shared.media.probe import probe_video

    require_file(video)
    print(json.dumps(probe_video(video).to_ffprobe(), indent=2))


def frames(video: Path = typer.Argument(..., metavar="VIDEO", help="A video file."),
           out_dir: Path = typer.Option(..., "--out", metavar="DIR", help="Folder for the JPEGs."),
           keyframes: bool = typer.Option(False, "--keyframes", help="Every keyframe (training)."),
           fps: Optional[str] = typer.Option(None, metavar="F", help="Uniform sampling rate, e.g. 2 or 0.5.")) -> None:
    """Write frames to a folder with the same code the extract stage uses."""
    from shared.media.extraction import extract_segment
    from shared.media.frames import SegmentReader
    from shared.media.probe import probe_video
    from shared.media.segments import plan_segments

    require_file(video)
    chosen = sampling(fps, keyframes)
    started = time.perf_counter()
    info = probe_video(video)
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for segment in plan_segments(info, segment_seconds=1e9):
        reader = SegmentReader(video, segment, chosen, info.time_base, info.origin_pts, info.end_s, tiles=False)
        result = extract_segment(reader, lambda name, jpeg, _meta: (out_dir / f"{name}.jpg").write_bytes(jpeg),
                                 load_config().jpeg_quality)
        count += len(result.frames)
        if result.warning:
            err.print(f"[yellow]warning:[/] {result.warning}")
    if info.truncation_warning:
        err.print(f"[yellow]warning:[/] {info.truncation_warning}")
    err.print(f"{count} frames ({chosen.slug}) written to {out_dir} in {time.perf_counter() - started:.2f} s")


def demo_data(out_dir: Path = typer.Argument(..., help="Folder to write the sample data into."),
              seconds: float = typer.Option(60.0, min=5.0, help="Length of the sample video."),
              force: bool = typer.Option(False, "--force", help="Write into a folder that holds other files.")) -> None:
    """Write sample data to try brandvis with: a 1280x720 broadcast-like match clip (perimeter boards
    carrying five sponsors' marks, players, pans and cuts) with its true screen times, and labeled
    frames from other moments in the same stadium (a Ground Truth manifest). Nothing is downloaded."""
    from cli.files import demo_truth, refuse_folder
    from devtools.synth.broadcast import make_demo

    refuse_folder(out_dir, {"labels", "match.mp4", "truth.json"}, "truth.json", demo_truth, force)
    demo = make_demo(out_dir, seconds=seconds)
    err.print(f"labeled frames: {demo.manifest}\nvideo: {demo.video.path} ({seconds:g} s)\n"
              f"true screen times: {demo.truth}\nnext: brandvis train {demo.manifest} --name logos --wait")


def register(app: typer.Typer) -> None:
    app.command()(probe)
    app.command()(frames)
    app.command("demo-data")(demo_data)
