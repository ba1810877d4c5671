"""Labeling bench: how much of a video's labeling the proposals do, after 20 labeled frames.

    python bench/labeling.py [--quick] [--family typeset|procedural] [--seeds 1 2 3]

A brand video is generated with logos composited at known boxes (devtools/synth/video.py, the
analysis bench's videos: brands of devtools/synth/benchmark.py seed 7, typeset family at 1280x720
by default, procedural at 640x360, with look-alike and unrelated distractors, cuts and pans) and
sampled at 1 frame/s into a 60-frame sequence whose true boxes are those the generator drew
(`BrandVideo.boxes`; it is rendered at 1 fps directly: the same frames a 25 fps video shows at
t = 0, 1, ... 59 s, since nothing it draws depends on the rate). Then, per sequence:

1. "A person labels frames 0-19": their true boxes are the dataset; the local backend trains on
   them in-process (as the train stage would, held-out evaluation included; an in-memory bucket
   instead of S3). Printed: training seconds.
2. Frames 20-59 are labeled as on the Label page: each frame's proposals are
   `merge(carry(previous frame, frame, boxes the person left on the previous frame), model
   pre-labels for the frame, labels)` (shared/labeling/propagate.py; the pre-labels as the label
   stage makes them: `detect_sequence` at prelabels.MIN_CONFIDENCE). Proposals are matched to the
   true boxes greedily, best IoU first: IoU >= 0.5 and the right label = **accept** (left as is);
   else IoU >= 0.1 with a true box = **move** (moved/resized and/or relabeled: one action);
   matching nothing = **delete**; a true box no proposal matches = **draw**. The person then
   leaves the true boxes on the frame, which the next frame's carry starts from.
   A model proposal the person deleted is remembered (carried along like their boxes) and not
   proposed again while it stays in view, as the Label page does. The same is done with the model
   alone (no carry), carry alone (no model), and, for comparison, carry + pre-labels at >= 0.5.
Printed per sequence: which brands frames 0-19 have; how many later boxes are of brands never
labeled there (no model can propose them) or appear afresh (their brand not on the frame before:
nothing to carry). Per variant: share of the true boxes accepted unchanged (goal >= 60 %), the
four counts, actions in all (an accept counted as one click per box) and edits (draw + move +
delete) against drawing every box (one draw per true box), per frame; accepted share per brand and
per origin of the proposal; proposal cost (model ms/frame, carry ms/frame, 2 cores). With several
sequences (the default: the analysis bench's three video seeds), each is printed, then all
pooled; last, the whole sequences (frames 0-19 with carry alone) against drawing every box.
Takes ~3 minutes on 2 cores (training dominates: ~40-70 s a sequence); --quick: one sequence, ~1 min.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import numpy as np  # noqa: E402

from shared.detections import Detections  # noqa: E402
from shared.labeling.prelabels import MIN_CONFIDENCE  # noqa: E402
from shared.labeling.propagate import Proposal, carry, iou, merge  # noqa: E402
from shared.models.dataset import Box, Dataset, Item  # noqa: E402
from shared.models.local.backend import LocalBackend  # noqa: E402
from shared.storage import Storage  # noqa: E402
from devtools.synth.benchmark import FAMILIES, make_benchmark  # noqa: E402
from devtools.synth.scenes import photo_library  # noqa: E402
from devtools.synth.video import make_brand_video  # noqa: E402

LABELED = 20  # frames the person labels before the model is trained
FRAMES = 60  # frames in a sequence (1 per second)
ACCEPT_IOU, TOUCH_IOU = 0.5, 0.1
ACTIONS = ("accept", "move", "delete", "draw")
LOWER = 0.5  # a looser pre-label threshold (the analysis default), printed for comparison
VARIANTS = {"both": "carry + model (shipped)", "model": "model alone", "carry": "carry alone",
            "lower": f"carry + model >= {LOWER} (not shipped)"}


class MemoryS3:
    """Just the S3 calls Storage makes for the local backend: a bucket in a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes, **_: Any) -> None:
        self.objects[Key] = bytes(Body)

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": io.BytesIO(self.objects[Key])}


@dataclass
class Sequence:
    name: str
    images: list[np.ndarray]
    truth: list[list[Box]]  # per frame


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    boxes: int = 0  # true boxes
    frames: int = 0
    by_label: dict[str, list[int]] = field(default_factory=dict)  # label -> [accepted, true boxes]
    by_origin: dict[str, list[int]] = field(default_factory=dict)  # origin -> [accepted, proposed]
    seconds: float = 0.0  # spent making proposals (carry, or merge)
    known: list[int] = field(default_factory=lambda: [0, 0])  # [accepted, true boxes] of brands labeled before

    def add(self, other: Tally) -> None:
        for k in ACTIONS:
            self.counts[k] += other.counts[k]
        self.boxes, self.frames, self.seconds = (self.boxes + other.boxes, self.frames + other.frames,
                                                 self.seconds + other.seconds)
        self.known = [self.known[0] + other.known[0], self.known[1] + other.known[1]]
        for mine, theirs in ((self.by_label, other.by_label), (self.by_origin, other.by_origin)):
            for k, (a, n) in theirs.items():
                mine.setdefault(k, [0, 0])
                mine[k][0] += a
                mine[k][1] += n


def make_sequence(family: str, seed: int, photos: list[np.ndarray], bench: Any, tmp: Path) -> Sequence:
    size = FAMILIES[family]["size"]
    extra = {"min_frac": 0.03, "rotate": 12.0} if family == "typeset" else {}  # as bench/analysis.py
    path = tmp / f"labeling-{family}-{seed}.mp4"
    video = make_brand_video(path, bench.brands, bench.distractors, seconds=FRAMES, fps=1, size=size, seed=seed,
                             photos=photos, **extra)
    with av.open(str(path)) as container:
        images = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(images) == FRAMES == len(video.boxes), (len(images), len(video.boxes))
    truth = [[Box(label, float(x0), float(y0), float(x1 - x0), float(y1 - y0)) for label, (x0, y0, x1, y1) in f]
             for f in video.boxes]
    return Sequence(f"{family} video seed {seed} (absent: {', '.join(video.absent) or 'none'})", images, truth)


def train(seq: Sequence, labels: list[str]) -> tuple[LocalBackend, dict[str, Any], float]:
    """The local backend trained in-process on the first LABELED frames' true boxes."""
    h, w = seq.images[0].shape[:2]
    dataset = Dataset("object", labels, [Item(str(i), w, h, boxes=list(seq.truth[i])) for i in range(LABELED)],
                      source_format="labeling")
    backend = LocalBackend(Storage(MemoryS3(), "bench"), lambda ref: seq.images[int(ref)])
    t0 = time.perf_counter()
    handle = backend.train("bench-labeling", "1", dataset, "labeling/manifest", "models/bench-labeling/1")
    return backend, handle, time.perf_counter() - t0


def prelabels(det: Detections, labels: list[str]) -> list[dict[str, Any]]:
    """One frame's proposals as the label stage stores them (shared/labeling/prelabels.py)."""
    out = []
    for (x0, y0, x1, y1), conf, label in zip(det.xyxy.tolist(), det.confidence.tolist(), det.labels.tolist()):
        if label in labels and not np.isnan(x0):
            out.append({"label": label, "confidence": round(conf, 4), "left": round(x0, 1), "top": round(y0, 1),
                        "width": round(x1 - x0, 1), "height": round(y1 - y0, 1)})
    return out


def judge(proposals: list[Proposal], truth: list[Box]) -> tuple[dict[str, int], list[tuple[Proposal, Box]], set[int]]:
    """Greedy matching, best IoU first: accepts, then moves; the rest deleted or drawn."""
    pairs = sorted(((iou(p.box, t), i, j) for i, p in enumerate(proposals) for j, t in enumerate(truth)),
                   key=lambda x: -x[0])
    used_p: set[int] = set()
    used_t: set[int] = set()
    counts = dict.fromkeys(ACTIONS, 0)
    accepted = []
    for kind, ok in (("accept", lambda v, i, j: v >= ACCEPT_IOU and proposals[i].box.label == truth[j].label),
                     ("move", lambda v, i, j: v >= TOUCH_IOU)):
        for v, i, j in pairs:
            if i in used_p or j in used_t or not ok(v, i, j):
                continue
            used_p.add(i)
            used_t.add(j)
            counts[kind] += 1
            if kind == "accept":
                accepted.append((proposals[i], truth[j]))
    counts["delete"] = len(proposals) - len(used_p)
    counts["draw"] = len(truth) - len(used_t)
    return counts, accepted, used_p


def label_frames(seq: Sequence, frames: range, model: dict[int, list[dict[str, Any]]] | None, use_carry: bool,
                 labels: list[str], known: Collection[str] = ()) -> Tally:
    """`known`: the brands the model was trained on (their boxes are also counted apart)."""
    tally = Tally()
    refused: list[Box] = []  # model proposals the person deleted on the frame before
    for k in frames:
        t0 = time.perf_counter()
        carried = carry(seq.images[k - 1], seq.images[k], seq.truth[k - 1]) if use_carry and k > 0 else []
        rejected = carry(seq.images[k - 1], seq.images[k], refused) if use_carry and refused else []
        proposals = merge(carried, model[k] if model is not None else [], labels, rejected)
        tally.seconds += time.perf_counter() - t0
        counts, accepted, used = judge(proposals, seq.truth[k])
        # remembered while carry finds them: refused once, a false alarm stays refused as it drifts in view
        refused = [p.box for i, p in enumerate(proposals) if i not in used and p.origin == "model"] + \
            [r.box for r in rejected]
        for a in ACTIONS:
            tally.counts[a] += counts[a]
        tally.boxes += len(seq.truth[k])
        tally.frames += 1
        for b in seq.truth[k]:
            tally.by_label.setdefault(b.label, [0, 0])[1] += 1
        tally.known[1] += sum(b.label in known for b in seq.truth[k])
        for p, b in accepted:
            tally.by_label[b.label][0] += 1
            tally.known[0] += b.label in known
            tally.by_origin.setdefault(p.origin, [0, 0])[0] += 1
        for p in proposals:
            tally.by_origin.setdefault(p.origin, [0, 0])[1] += 1
    return tally


def pct(a: int, n: int) -> str:
    return f"{100 * a / n:5.1f} %" if n else "   - "


def show(name: str, t: Tally, detail: bool) -> None:
    c = t.counts
    actions = sum(c.values())
    edits = c["draw"] + c["move"] + c["delete"]
    print(f"  {name:36s} accepted unchanged {pct(c['accept'], t.boxes)} of {t.boxes} true boxes  "
          f"(accept {c['accept']}, move {c['move']}, delete {c['delete']}, draw {c['draw']})  "
          f"actions {actions} = {actions / max(1, t.frames):.2f}/frame, edits {edits} = "
          f"{edits / max(1, t.frames):.2f}/frame vs drawing every box {t.boxes} = {t.boxes / max(1, t.frames):.2f}/frame",
          flush=True)
    if detail:
        print("      accepted per brand: " + ", ".join(f"{k} {pct(a, n).strip()} of {n}"
                                                    for k, (a, n) in sorted(t.by_label.items()))
              + f"; of brands labeled in frames 0-{LABELED - 1}: {pct(*t.known).strip()} of {t.known[1]}", flush=True)
        print("      proposals accepted per origin: " + ", ".join(f"{k} {a} of {n} ({pct(a, n).strip()})"
                                                             for k, (a, n) in sorted(t.by_origin.items())), flush=True)


def run_sequence(seq: Sequence, labels: list[str]) -> tuple[dict[str, Tally], float, float, Tally]:
    first = sum(len(b) for b in seq.truth[:LABELED])
    rest = sum(len(b) for b in seq.truth[LABELED:])
    print(f"\n== {seq.name}: {FRAMES} frames at {seq.images[0].shape[1]}x{seq.images[0].shape[0]}, "
          f"{first} true boxes in frames 0-{LABELED - 1}, {rest} in frames {LABELED}-{FRAMES - 1}", flush=True)
    seen = sorted({b.label for f in seq.truth[:LABELED] for b in f})
    unseen = sum(b.label not in seen for f in seq.truth[LABELED:] for b in f)
    new = sum(all(p.label != b.label for p in seq.truth[k - 1]) for k in range(LABELED, FRAMES) for b in seq.truth[k])
    print(f"  brands labeled in frames 0-{LABELED - 1}: {', '.join(seen) or 'none'}; of the {rest} later boxes, "
          f"{unseen} are of brands never labeled (the model cannot propose them) and {new} appear afresh "
          f"(their brand not on the frame before: nothing to carry)", flush=True)
    backend, handle, train_s = train(seq, labels)
    ev = handle["evaluation"]
    print(f"  model trained on frames 0-{LABELED - 1} in {train_s:.1f} s (held-out F1 {ev['f1']:.2f} on "
          f"{ev['test_images']} of them)", flush=True)
    t0 = time.perf_counter()
    found = backend.detect_sequence(handle, seq.images[LABELED:], min(LOWER, MIN_CONFIDENCE))
    model_s = time.perf_counter() - t0
    model = {LABELED + n: prelabels(d[d.confidence >= MIN_CONFIDENCE], labels) for n, d in enumerate(found)}
    loose = {LABELED + n: prelabels(d, labels) for n, d in enumerate(found)}
    later = range(LABELED, FRAMES)
    tallies = {"both": label_frames(seq, later, model, True, labels, seen),
               "model": label_frames(seq, later, model, False, labels, seen),
               "carry": label_frames(seq, later, None, True, labels, seen),
               "lower": label_frames(seq, later, loose, True, labels, seen)}
    for key, name in VARIANTS.items():
        show(name, tallies[key], detail=key != "lower")
    carry_ms = 1000 * tallies["carry"].seconds / len(later)
    model_ms = 1000 * model_s / len(later)
    print(f"  proposals: model {model_ms:.0f} ms/frame (pre-labels, made once by the label stage), "
          f"carry {carry_ms:.1f} ms/frame (as the page turns)", flush=True)
    # Frames 0-19 themselves: drawn from scratch, or with carry alone (no model yet).
    early = label_frames(seq, range(LABELED), None, True, labels)
    return tallies, model_ms, carry_ms, early


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one sequence instead of three")
    ap.add_argument("--family", choices=sorted(FAMILIES), default="typeset")
    ap.add_argument("--seeds", type=int, nargs="+", help="video seeds (default 1 2 3, --quick 1)")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    seeds = args.seeds or ([1] if args.quick else [1, 2, 3])
    started = time.perf_counter()
    photos = photo_library()
    bench = make_benchmark(seed=7, n_train=0, n_test=0, photos=photos, family=args.family)
    labels = [b.name for b in bench.brands]
    print(f"brandvis labeling bench{' (quick)' if args.quick else ''}: {args.family} family, brands "
          f"{', '.join(labels)}; {len(bench.distractors)} distractors (not labeled); model trained on the first "
          f"{LABELED} of {FRAMES} frames (1/s); accept: IoU >= {ACCEPT_IOU} and right label; pre-labels at "
          f"confidence >= {MIN_CONFIDENCE}; cores: {os.cpu_count()}", flush=True)
    total = {k: Tally() for k in VARIANTS}
    early_total = Tally()
    costs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            seq = make_sequence(args.family, seed, photos, bench, Path(tmp))
            tallies, model_ms, carry_ms, early = run_sequence(seq, labels)
            for k in VARIANTS:
                total[k].add(tallies[k])
            early_total.add(early)
            costs.append((model_ms, carry_ms))
    if len(seeds) > 1:
        print(f"\n== all {len(seeds)} sequences, frames {LABELED}-{FRAMES - 1} of each", flush=True)
        for key, name in VARIANTS.items():
            show(name, total[key], detail=key != "lower")
        print(f"  proposals: model {np.mean([c[0] for c in costs]):.0f} ms/frame, carry "
              f"{np.mean([c[1] for c in costs]):.1f} ms/frame", flush=True)
    both = total["both"]
    whole = sum(early_total.counts.values()) + sum(both.counts.values())
    whole_edits = (sum(early_total.counts[a] for a in ("draw", "move", "delete"))
                   + sum(both.counts[a] for a in ("draw", "move", "delete")))
    print(f"\nwhole sequence{'s' if len(seeds) > 1 else ''} (frames 0-{LABELED - 1} with carry alone, then carry + "
          f"model): {whole} actions, {whole_edits} edits, vs {early_total.boxes + both.boxes} boxes drawn one by "
          f"one; frames 0-{LABELED - 1} with carry alone: {pct(early_total.counts['accept'], early_total.boxes).strip()} "
          f"accepted", flush=True)
    share = both.counts["accept"] / max(1, both.boxes)
    print(f"goal: >= 60 % of boxes accepted unchanged after {LABELED} labeled frames: {100 * share:.1f} % "
          f"({'met' if share >= 0.6 else 'NOT met'}); bench took {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
