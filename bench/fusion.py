"""Text-fusion replay: record what the recogniser says about every candidate once, then try ways of
fusing it with the head in seconds (docs/models.md, "Weighing every reading").

    python bench/fusion.py record --seed 11 [--seed 13] [--n 300]
    python bench/fusion.py replay --seed 11 --seed 13 [--seed 7]
    python bench/fusion.py record --video tune [--video demo] [--video bench]
    python bench/fusion.py replay --video tune --video demo [--video bench]

`record` trains the shipped model on the typeset benchmark's 60 labeled frames of each seed (as
bench/models.py does), runs the base model and head on its test frames, groups the candidates
any text label gets >= 0.03 for (the lowest floor worth replaying) as the detector does, and
stores each group's recogniser probabilities (bench/.cache/fusion-SEED.pkl). `replay` runs the
shipped `Fusion` and the variants below over the recordings: presence P/R/F1, the share of
look-alike instances reported as a brand, and groups read per frame. Tune on seeds 11 and 13;
seed 7 is the held-out one, to report, not to choose by. A replay groups candidates at the
recording floor, so a variant reading from a higher floor differs slightly from the detector
(0.003 F1 on seed 7); end-to-end figures come from bench/models.py.

`--video` does the same on video, where the product's number is screen time, as the product sees
it: the model trained as the train stage trains it (`fit_object_model`, on the labeled frames as
exported JPEGs, labels sorted), the frames sampled at 2 fps by the extract stage's own code (its
segments of whole GOPs, its JPEGs). Sets: `tune` (a model from seed 11's labeled frames; 3 typeset
brand videos made like bench/analysis.py's, seeds 4-6), `demo` (the README's broadcast-like clip
and its labeled stills, as `brandvis demo-data` writes them) and `bench` (bench/analysis.py's own:
seed 7's model, videos 1-3: report, do not tune). `replay --video` prints the mean per-brand
screen-time error, frame presence P/R/F1 and the sampled frames that report a brand absent from
the video, per set, per variant, with identity carried along tracks per segment as the detect
stage does, and marks followed onto the frames that lost them (which decodes the videos again).
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.analysis import brand_videos  # noqa: E402
from bench.models import shipped  # noqa: E402
from shared.models.local.base import load_base  # noqa: E402
from shared.detections import Detections  # noqa: E402
from shared.models.local.detector import LocalDetector, Scored, mark_groups  # noqa: E402
from shared.models.local.follow import follow, head_prior, with_followed  # noqa: E402
from shared.models.local.reading import Fusion, crop  # noqa: E402
from shared.models.local.tracks import Carry, carry_identity  # noqa: E402
from shared.models.local.backend import unseen  # noqa: E402
from workers.stages.detect import SEAM_DETECTED  # noqa: E402
from shared.models.local.trainer import LabeledImage  # noqa: E402
from shared.models.text.reader import load_reader  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.media.extraction import extract_segment  # noqa: E402
from shared.media.frames import SegmentReader  # noqa: E402
from shared.media.images import decode_jpeg, encode_jpeg  # noqa: E402
from shared.media.probe import probe_video  # noqa: E402
from shared.media.segments import plan_segments  # noqa: E402
from shared.media.types import Sampling  # noqa: E402
from devtools.synth.benchmark import make_benchmark  # noqa: E402
from devtools.synth.broadcast import demo_world  # noqa: E402
from devtools.synth.scenes import photo_library  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
FLOOR = 0.03
EVERY_S = 0.5  # video sets are sampled at 2 frames a second, as bench/analysis.py analyses them


def record(seed: int, n: int) -> Path:
    bench = make_benchmark(seed=seed, n_test=n, family="typeset")
    labels = [b.name for b in bench.brands]
    base, reader = load_base(), load_reader()
    train = [LabeledImage(f.image, [(i.label, i.box) for i in f.instances if i.is_brand]) for f in bench.train]
    head, text = shipped(train, labels, base)
    look = Looker(head, text, base, reader)
    frames = []
    for f in bench.test:
        frames.append({**look(f.image), "brands": {i.label for i in f.instances if i.is_brand},
                       "lookalikes": [i.box for i in f.instances if i.label.startswith("lookalike")]})
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"fusion-{seed}.pkl"
    path.write_bytes(pickle.dumps({"head": head, "text": text, "frames": frames}))
    print(f"seed {seed}: {len(frames)} frames, {sum(len(f['groups']) for f in frames)} groups -> {path}")
    return path


class Looker:
    """One frame's candidates and, for each group worth replaying, the recogniser's output."""

    def __init__(self, head, text, base, reader) -> None:  # type: ignore[no-untyped-def]
        self.detector, self.reader = LocalDetector(head, base), reader
        self.text_labels = np.array([label in text.signatures for label in head.labels] + [False])

    def __call__(self, image: np.ndarray) -> dict:
        s = self.detector.score_many([image])[0]
        groups = []
        for members in mark_groups(s, self.text_labels, FLOOR, Fusion().group_iou):
            c = crop(image, s.cand.xyxy[members[0]])
            if c is not None:
                groups.append((members, self.reader.probabilities([c])[0]))
        return {"scored": s, "groups": groups}


class Replayer:
    """Fuses a recorded frame's readings with its head scores as the detector would."""

    def __init__(self, rec: dict, fusion: Fusion) -> None:
        self.head, self.text, self.fusion = rec["head"], rec["text"], fusion
        self.reader = load_reader()
        self.detector = LocalDetector(self.head, load_base(self.head.base), self.text, self.reader, fusion)
        self.text_labels = np.array([label in self.text.signatures for label in self.head.labels] + [False])
        self.reads = 0

    def fused(self, f: dict) -> Scored:
        s: Scored = f["scored"]
        out = dataclasses.replace(s, probs=s.probs.copy(), evidence={}, head=s.probs)  # recorded: the head's own
        for members, p in f["groups"]:
            if s.probs[members][:, self.text_labels].max() < self.fusion.read_from:
                continue
            self.reads += 1
            _, evidence, weights = self.detector.evidence(p)
            for k in members:
                self.fusion.use(out.probs[k], self.head.labels, self.text_labels, evidence, weights)
                out.evidence[k] = evidence
        return out

    def found(self, s: Scored) -> Detections:
        return self.detector.finish(s, 0.5)


def replay(rec: dict, fusion: Fusion) -> dict:
    play = Replayer(rec, fusion)
    tp = fp = fn = seen = hit = 0
    for f in rec["frames"]:
        det = play.found(play.fused(f))
        found = set(det.labels)
        tp, fp, fn = tp + len(found & f["brands"]), fp + len(found - f["brands"]), fn + len(f["brands"] - found)
        for x0, y0, x1, y1 in f["lookalikes"]:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            seen += 1
            hit += any(a <= cx <= c and b <= cy <= d for a, b, c, d in det.xyxy)
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"P": p, "R": r, "F1": 2 * p * r / max(1e-9, p + r), "look": hit / max(1, seen),
            "reads": play.reads / len(rec["frames"])}


def sampled(path: Path, every: float = EVERY_S) -> list[tuple[float, int, np.ndarray]]:
    """(t, segment, frame) every `every` seconds, as the extract stage stores them: the same
    segments (whole GOPs, at least 30 s), the same samples, the same JPEGs, read back."""
    info, config = probe_video(path), Config()
    out = []
    for seg in plan_segments(info, config.segment_seconds):
        reader = SegmentReader(path, seg, Sampling.at_fps(1 / every), info.time_base, info.origin_pts, info.end_s,
                               tiles=False)
        saved: dict[str, bytes] = {}
        done = extract_segment(reader, lambda name, jpeg, _meta: saved.__setitem__(name, jpeg), config.jpeg_quality)
        out += [(f["t"], seg.index, decode_jpeg(saved[f["name"]])) for f in done.frames]
    return out


def record_video(name: str) -> Path:
    photos = photo_library()
    if name == "demo":  # what `brandvis demo-data` writes
        world = demo_world()
        brands, train_frames = world.brands, world.stills
        videos = [world.clip(CACHE / "fusion-demo.mp4")]
    else:
        bench = make_benchmark(seed=11 if name == "tune" else 7, n_test=0, photos=photos, family="typeset")
        brands, train_frames = bench.brands, bench.train
        videos = brand_videos(bench, "typeset", 60, photos, False, first_seed=4 if name == "tune" else 1)
    labels = [b.name for b in brands]
    base, reader = load_base(), load_reader()
    # As the train stage sees them: the labeled frames as exported (JPEG, quality 95), labels sorted
    train = [LabeledImage(decode_jpeg(encode_jpeg(f.image, 95)), [(i.label, i.box) for i in f.instances if i.is_brand])
             for f in train_frames]
    head, text = shipped(train, sorted(labels), base)
    look = Looker(head, text, base, reader)
    out = []
    for v in videos:
        frames = [{**look(image), "t": t, "segment": seg, "brands": v.brands_at(t)} for t, seg, image in sampled(v.path)]
        out.append({"name": v.path.name, "path": str(v.path), "seconds": v.seconds, "frames": frames,
                    "truth": {label: v.screen_time(label) for label in labels}})
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"fusion-video-{name}.pkl"
    path.write_bytes(pickle.dumps({"head": head, "text": text, "labels": labels, "videos": out}))
    print(f"video set {name}: {len(out)} videos, {sum(len(v['frames']) for v in out)} sampled frames -> {path}")
    return path


def video_frames(v: dict) -> list[np.ndarray]:
    """A recorded video's sampled frames again (following marks looks at them)."""
    path = Path(v["path"])
    if not path.exists():
        raise SystemExit(f"{path} is gone: record the set again (bench/fusion.py record --video ...)")
    return [image for _, _, image in sampled(path)]


def segments(frames: list) -> list[slice]:
    """Runs of frames from one segment: what one detect message sees."""
    cuts = [0] + [i for i in range(1, len(frames)) if frames[i]["segment"] != frames[i - 1]["segment"]] + [len(frames)]
    return [slice(a, b) for a, b in zip(cuts, cuts[1:])]


def replay_video(rec: dict, fusion: Fusion, carry: Carry | None, following: bool = False, seam: int = 0,
                 seam_detected: int = SEAM_DETECTED) -> dict:
    """Mean per-brand screen-time error (brands on screen), frame presence P/R/F1, and crops read
    per sampled frame to follow marks (shared/models/local/follow.py). `seam`: each segment also
    sees the next one's first frames, and a frame's labels are what either segment found on it (as
    detect and reports do with `BRANDVIS_SEAM_FRAMES`); of those, the first `seam_detected` are
    detected, the rest only followed into."""
    play = Replayer(rec, fusion)
    errors, tp, fp, fn, absent, n = [], 0, 0, 0, 0, 0
    for v in rec["videos"]:
        images = video_frames(v) if following else []
        found: list[set] = [set() for _ in v["frames"]]
        for part in segments(v["frames"]):
            own = part.stop - part.start
            part = slice(part.start, min(len(found), part.stop + seam))
            scored = [play.fused(f) if k < own + seam_detected else unseen(f["scored"].size, len(play.detector.labels))
                      for k, f in enumerate(v["frames"][part])]
            if carry is not None:
                carry_identity(scored, play.head.labels, play.text_labels, carry)
            det = [play.found(s) for s in scored]
            if following:
                more = follow(det, images[part], play.detector.reread, play.text,
                              head_prior(scored, play.head.labels))
                det = [with_followed(d, m, 0.5) for d, m in zip(det, more)]
            for k, d in enumerate(det):
                found[part.start + k] |= set(d.labels)
        n += len(found)
        for f, got in zip(v["frames"], found):
            tp, fp, fn = tp + len(got & f["brands"]), fp + len(got - f["brands"]), fn + len(f["brands"] - got)
        for label, true_s in v["truth"].items():
            est = sum(min(v["seconds"], f["t"] + EVERY_S / 2) - max(0.0, f["t"] - EVERY_S / 2)
                      for f, got in zip(v["frames"], found) if label in got)
            if true_s > 0:
                errors.append(abs(est - true_s) / true_s)
            else:
                absent += sum(label in got for got in found)
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"error": float(np.mean(errors)), "P": p, "R": r, "F1": 2 * p * r / max(1e-9, p + r), "absent": absent,
            "follow_reads": play.detector.reads / max(1, n)}


VARIANTS = {
    "readings that name nothing leave the head alone (BRANDVIS_TEXT_WEIGHING=0)": Fusion(weighing=False),
    "every reading weighed (shipped)": Fusion(),
    "weighed, read from 0.05": Fusion(read_from=0.05),
    "weighed, read from 0.1": Fusion(read_from=0.1),
    "weighed, no rival term": Fusion(rival=0.0),
    "weighed, weight 1.2 (the last release's)": Fusion(weight=1.2),
}

SEAM = Config().seam_frames
VIDEO_VARIANTS = {  # fusion, identity along tracks, marks followed onto frames that lost them, seam frames (detected)
    "no weighing, each frame on its own (two releases ago)": (Fusion(weighing=False), None, False, 0, 0),
    "no weighing, identity along tracks": (Fusion(weighing=False), Carry(), False, 0, 0),
    "weighing, each frame on its own": (Fusion(), None, False, 0, 0),
    "weighing + identity along tracks": (Fusion(), Carry(), False, 0, 0),
    "weighing + tracks + followed, no seam frames": (Fusion(), Carry(), True, 0, 0),
    f"weighing + tracks + followed + {SEAM} seam frames (shipped)": (Fusion(), Carry(), True, SEAM, SEAM_DETECTED),
    f"the same, {SEAM} seam frames all detected": (Fusion(), Carry(), True, SEAM, SEAM),
    "the same, 4 seam frames": (Fusion(), Carry(), True, 4, SEAM_DETECTED),
    "weighing + marks followed, no tracks": (Fusion(), None, True, SEAM, SEAM_DETECTED),
    "weighing (weight 1.2) + tracks + followed": (Fusion(weight=1.2), Carry(), True, SEAM, SEAM_DETECTED),
    "weighing (read from 0.05) + tracks + followed": (Fusion(read_from=0.05), Carry(), True, SEAM, SEAM_DETECTED),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("record", "replay"))
    ap.add_argument("--seed", type=int, action="append", help="benchmark seed (11, 13: tuning; 7: held out)")
    ap.add_argument("--video", choices=("tune", "demo", "bench"), action="append",
                    help="video set (tune, demo: tuning; bench: bench/analysis.py's own, to report)")
    ap.add_argument("--n", type=int, default=300, help="test frames per seed")
    args = ap.parse_args()
    if args.video:
        if args.what == "record":
            for name in args.video:
                record_video(name)
            return
        vrecs = {}
        for name in args.video:
            path = CACHE / f"fusion-video-{name}.pkl"
            vrecs[name] = pickle.loads((path if path.exists() else record_video(name)).read_bytes())
        for title, (fusion, carry, following, seam, detected) in VIDEO_VARIANTS.items():
            rows = {name: replay_video(rec, fusion, carry, following, seam, detected) for name, rec in vrecs.items()}
            print(f"{title:52s} " + "   ".join(
                f"{name}: error {100 * r['error']:4.1f} % P {r['P']:.3f} R {r['R']:.3f} F1 {r['F1']:.3f} "
                f"absent brands' frames {r['absent']}" + (f" follow reads/frame {r['follow_reads']:.2f}"
                                                          if following else "")
                for name, r in rows.items()), flush=True)
        return
    seeds = args.seed or [11, 13]
    if args.what == "record":
        for seed in seeds:
            record(seed, args.n)
        return
    recs = {}
    for seed in seeds:
        path = CACHE / f"fusion-{seed}.pkl"
        recs[seed] = pickle.loads(path.read_bytes()) if path.exists() else pickle.loads(record(seed, args.n).read_bytes())
    for name, fusion in VARIANTS.items():
        rows = {seed: replay(rec, fusion) for seed, rec in recs.items()}
        mean = sum(r["F1"] for r in rows.values()) / len(rows)
        print(f"{name:50s} mean F1 {mean:.3f}   " + "   ".join(
            f"seed {s}: P {r['P']:.3f} R {r['R']:.3f} F1 {r['F1']:.3f} look-alikes {r['look']:.3f} reads/frame "
            f"{r['reads']:.2f}" for s, r in rows.items()), flush=True)


if __name__ == "__main__":
    main()
