"""Models bench: the local detector against the alternatives, on the generated brand benchmarks.

    python bench/models.py [--quick] [--family procedural|typeset] [--seed 7]

Two brand families (devtools/synth/benchmark.py; seed 7 is held out, heads and text evidence were
tuned on seed 11), each 5 brands, 60 labeled training frames, 300 test frames, ~30 % without a brand:
- procedural: 3 emblem/combination marks and 2 bare wordmarks of invented words in a lettering the
  base model never saw, 2 look-alikes + 2 unrelated logos, 640x360, logos 4-25 % of the width;
- typeset: badges, bare wordmarks, a name over a tagline and a combination mark set in ordinary
  typefaces (Debian's fonts-*), 3 look-alikes in the brands' own style with one or two letters
  changed + 2 unrelated marks, 1280x720, logos 3-25 % of the width.
Both: perspective, rotation, relighting, occlusion, blur, noise, JPEG. Presence = per (frame,
brand) pair. Printed per method: training time, frames/s (2 cores), presence P/R/F1, recall per
size bucket, mean box IoU; for the shipped method per brand F1 and how often a look-alike is
reported as a brand; on typeset, a text-only model made from the brands' names alone; then
concept-mode accuracy (40 training images).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.detections import Detections  # noqa: E402
from shared.models.local.base import WEIGHTS, load_base  # noqa: E402
from shared.models.local.concept import image_features  # noqa: E402
from shared.models.local.detector import LocalDetector  # noqa: E402
from shared.models.local.head import Head, fit_mlp  # noqa: E402
from shared.models.local.backend import LocalBackend, fit_object_model  # noqa: E402
from shared.models.local.reading import Fusion  # noqa: E402
from shared.models.local.trainer import LabeledImage, train_head  # noqa: E402
from shared.models.metrics import Truth, evaluate  # noqa: E402
from shared.models.text.match import TextSignatures, parse_words  # noqa: E402
from shared.models.text.reader import load_reader  # noqa: E402
from devtools.synth.benchmark import Benchmark, make_benchmark  # noqa: E402
from devtools.synth.concepts import CONCEPTS, make_concepts  # noqa: E402


class SiftMatcher:
    """Keypoint matching of the labeled crops + RANSAC homography: the classical baseline."""

    def __init__(self, train: list[LabeledImage], labels: list[str]) -> None:
        self.sift = cv2.SIFT_create(nfeatures=1500)
        self.matcher = cv2.BFMatcher(cv2.NORM_L2)
        self.refs: list[tuple[str, list, np.ndarray]] = []
        for item in train:
            for label, (x0, y0, x1, y1) in item.boxes:
                crop = cv2.cvtColor(item.image[int(y0):int(y1), int(x0):int(x1)], cv2.COLOR_BGR2GRAY)
                if min(crop.shape) < 8:
                    continue
                crop = cv2.resize(crop, None, fx=2, fy=2)  # small logos have too few keypoints otherwise
                kps, desc = self.sift.detectAndCompute(crop, None)
                if desc is not None and len(kps) >= 4:
                    self.refs.append((label, [(k.pt[0] / 2 + x0, k.pt[1] / 2 + y0) for k in kps], desc))
        self.labels = labels

    def detect(self, image: np.ndarray) -> Detections:
        kps, desc = self.sift.detectAndCompute(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), None)
        best: dict[str, tuple[int, np.ndarray]] = {}
        if desc is None or len(kps) < 4:
            return Detections.empty((image.shape[1], image.shape[0]))
        for label, ref_pts, ref_desc in self.refs:
            pairs = [m for m, n in (p for p in self.matcher.knnMatch(ref_desc, desc, k=2) if len(p) == 2)
                     if m.distance < 0.75 * n.distance]
            if len(pairs) < 6:
                continue
            src = np.float32([ref_pts[m.queryIdx] for m in pairs])
            dst = np.float32([kps[m.trainIdx].pt for m in pairs])
            _, mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0, maxIters=200)
            inliers = int(mask.sum()) if mask is not None else 0
            if inliers >= 6 and inliers > best.get(label, (0, None))[0]:
                pts = dst[mask.ravel() > 0]
                best[label] = (inliers, np.array([*pts.min(0), *pts.max(0)]))
        names = list(best)
        return Detections(np.array([best[n][1] for n in names], np.float32).reshape(-1, 4),
                          [min(1.0, best[n][0] / 20) for n in names], names, (image.shape[1], image.shape[0]))


def truths(bench: Benchmark) -> list[Truth]:
    return [Truth([i.label for i in f.instances if i.is_brand],
                  np.array([i.box for i in f.instances if i.is_brand], np.float32).reshape(-1, 4), f.image.shape[1])
            for f in bench.test]


def lookalikes_reported(bench: Benchmark, preds: list[Detections]) -> float | None:
    """Share of look-alike instances a brand is reported on (a box of any brand over its centre)."""
    seen = hit = 0
    for frame, det in zip(bench.test, preds):
        for inst in frame.instances:
            if not inst.label.startswith("lookalike"):
                continue
            seen += 1
            cx, cy = (inst.box[0] + inst.box[2]) / 2, (inst.box[1] + inst.box[3]) / 2
            hit += any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in det.xyxy)
    return round(hit / seen, 4) if seen else None


def run_method(name: str, train_fn, detect_fn, bench: Benchmark, labels: list[str],  # type: ignore[no-untyped-def]
               detail: bool = False) -> dict:
    t0 = time.perf_counter()
    model = train_fn()
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    preds = detect_fn(model, [f.image for f in bench.test])
    fps = len(bench.test) / (time.perf_counter() - t0)
    r = evaluate(preds, truths(bench), labels)
    p = r.presence
    look = lookalikes_reported(bench, preds)
    row = {"method": name, "train_s": round(train_s, 1), "fps": round(fps, 1), "precision": p["precision"],
           "recall": p["recall"], "f1": p["f1"], "recall_by_size": r.recall_by_size, "mean_iou": r.mean_iou,
           "per_label_f1": {k: v["f1"] for k, v in r.per_label.items()}, "lookalikes_reported": look}
    print(f"{name:44s} train {train_s:6.1f} s  {fps:6.1f} fps  P {p['precision']:.2f} R {p['recall']:.2f} "
          f"F1 {p['f1']:.3f}  recall <8% {r.recall_by_size['<8%']:.2f} 8-15% {r.recall_by_size['8-15%']:.2f} "
          f">15% {r.recall_by_size['>15%']:.2f}  IoU {r.mean_iou:.2f}  look-alikes reported {look}", flush=True)
    if detail:
        print("    per brand F1: " + ", ".join(f"{k} {v:.2f}" for k, v in row["per_label_f1"].items()), flush=True)
    return row


def each(detect):  # type: ignore[no-untyped-def]
    """A per-image detect function as a batch one."""
    return lambda model, images: [detect(model, image) for image in images]


def shipped(train: list[LabeledImage], labels: list[str], base):  # type: ignore[no-untyped-def]
    """What the local backend trains: the head, then what each label reads as."""
    model = fit_object_model(train, labels, base)
    return model.head, model.text


def batched(model, images, fusion: Fusion | None = None):  # type: ignore[no-untyped-def]
    head, text = model
    detector = LocalDetector(head, load_base(head.base), text or None, load_reader() if text else None, fusion)
    return [d for k in range(0, len(images), 8) for d in detector.detect_many(images[k:k + 8], 0.5)]


def concept_rows(quick: bool) -> list[dict]:
    base = load_base()
    train, test = make_concepts(seed=5, per_class=8), make_concepts(seed=99, per_class=20 if quick else 60)
    rows = []
    for name, use_base in (("colour layout + MLP", False), ("colour layout + base scene vector + MLP (chosen)", True)):
        t0 = time.perf_counter()
        x = np.stack([image_features(i, base if use_base else None) for i in train.images])
        y = np.array([CONCEPTS.index(label) for label in train.labels])
        head = Head(list(CONCEPTS), fit_mlp(x, y, len(CONCEPTS) + 1, hidden=64, epochs=200), base.name)
        train_s = time.perf_counter() - t0
        xt = np.stack([image_features(i, base if use_base else None) for i in test.images])
        acc = float((head.probabilities(xt)[:, :len(CONCEPTS)].argmax(1) ==
                     np.array([CONCEPTS.index(label) for label in test.labels])).mean())
        print(f"concept: {name:50s} train {train_s:5.1f} s on {len(train.images)} images  "
              f"accuracy {acc:.3f} on {len(test.images)}", flush=True)
        rows.append({"method": name, "train_s": round(train_s, 1), "accuracy": round(acc, 4)})
    return rows


def family_rows(family: str, seed: int, quick: bool, base) -> list[dict]:  # type: ignore[no-untyped-def]
    bench = make_benchmark(seed=seed, n_test=100 if quick else 300, family=family)
    labels = [b.name for b in bench.brands]
    train = [LabeledImage(f.image, [(i.label, i.box) for i in f.instances if i.is_brand]) for f in bench.train]
    n_boxes = sum(len(t.boxes) for t in train)
    w, h = bench.test[0].image.shape[1], bench.test[0].image.shape[0]
    print(f"\n== {family} family, seed {seed}: {len(train)} training frames ({n_boxes} boxes), {len(bench.test)} "
          f"test frames at {w}x{h}, {len(labels)} brands, {len(bench.distractors)} distractors "
          f"({sum(d.name.startswith('lookalike') for d in bench.distractors)} look-alikes)", flush=True)
    rows = [
        run_method("SIFT + RANSAC on labeled crops", lambda: SiftMatcher(train, labels),
                   each(lambda m, img: m.detect(img)), bench, labels),
        run_method("base model + linear head", lambda: train_head(train, labels, base, classifier="linear"),
                   each(lambda hd, img: LocalDetector(hd, base).detect(img, 0.5)), bench, labels),
        run_method("base model + MLP head", lambda: train_head(train, labels, base, classifier="mlp"),
                   each(lambda hd, img: LocalDetector(hd, base).detect(img, 0.5)), bench, labels),
        run_method("base model + both heads (no text)", lambda: (train_head(train, labels, base), None),
                   batched, bench, labels, detail=True),
        run_method("+ text evidence, a reading naming no word leaves the head alone (BRANDVIS_TEXT_WEIGHING=0)",
                   lambda: shipped(train, labels, base),
                   lambda m, images: batched(m, images, Fusion(weighing=False)), bench, labels, detail=True),
        run_method("base model + both heads + text evidence, every reading weighed (shipped)",
                   lambda: shipped(train, labels, base), batched, bench, labels, detail=True),
    ]
    if family == "typeset":
        words = parse_words(",".join(f"{b.name}={b.design['text']}" for b in bench.brands))
        rows.append(run_method("text-only model (names, no labeled frame)",
                               lambda: TextSignatures().with_user_words(words),
                               each(lambda text, img: LocalBackend._read_brands(text, img, 0.5)), bench, labels,
                               detail=True))
    for row in rows:
        row["family"] = family
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 test frames instead of 300")
    ap.add_argument("--family", choices=["procedural", "typeset"], action="append",
                    help="one family (default: both)")
    ap.add_argument("--seed", type=int, default=7, help="benchmark seed (7: held out; 11: tuning)")
    ap.add_argument("--no-concepts", action="store_true", help="skip concept mode")
    ap.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    base = load_base()
    figures = json.loads((WEIGHTS / f"{base.name}.json").read_text()) if (WEIGHTS / f"{base.name}.json").exists() else {}
    seen = figures.get("images_seen_total", figures.get("images_seen", "?"))
    print(f"base model {base.name}: pretrained {figures.get('wall_s_total', figures.get('wall_s', '?'))} s on "
          f"{figures.get('device', '?')}, {seen} synthetic images, {figures.get('params', '?')} parameters")
    rows = [r for family in args.family or ["procedural", "typeset"] for r in family_rows(family, args.seed,
                                                                                       args.quick, base)]
    print()
    concepts = [] if args.no_concepts else concept_rows(args.quick)
    if args.out:
        args.out.write_text(json.dumps({"base": figures.get("name"), "object": rows, "concept": concepts}, indent=1))


if __name__ == "__main__":
    main()
