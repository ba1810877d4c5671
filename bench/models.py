"""Models bench: the local detector against the alternatives, on the generated brand benchmark.

    python bench/models.py [--quick]

Benchmark (devtools/synth/benchmark.py, seed 7; heads were tuned on seed 11): 5 brands (3
emblem/combination marks, 2 bare wordmarks) drawn in a lettering the base model never saw, 4
distractors (2 look-alikes of brands, 2 unrelated logos), logos 4-25 % of the frame width with
perspective, rotation, relighting, occlusion, blur, noise and JPEG; 60 labeled training frames,
300 test frames at 640x360, ~30 % without a brand. Presence = per (frame, brand) pair.
Printed per method: training time, inference frames/s (2 cores), presence P/R/F1, recall per
logo-size bucket, mean box IoU of found logos; then concept-mode accuracy (40 training images).
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
from shared.models.local.trainer import LabeledImage, train_head  # noqa: E402
from shared.models.metrics import Truth, evaluate  # noqa: E402
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


def run_method(name: str, train_fn, detect_fn, bench: Benchmark, labels: list[str]) -> dict:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    model = train_fn()
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    preds = [detect_fn(model, f.image) for f in bench.test]
    fps = len(bench.test) / (time.perf_counter() - t0)
    r = evaluate(preds, truths(bench), labels)
    p = r.presence
    row = {"method": name, "train_s": round(train_s, 1), "fps": round(fps, 1), "precision": p["precision"],
           "recall": p["recall"], "f1": p["f1"], "recall_by_size": r.recall_by_size, "mean_iou": r.mean_iou,
           "per_label_f1": {k: v["f1"] for k, v in r.per_label.items()}}
    print(f"{name:36s} train {train_s:6.1f} s  {fps:6.1f} fps  P {p['precision']:.2f} R {p['recall']:.2f} "
          f"F1 {p['f1']:.2f}  recall <8% {r.recall_by_size['<8%']:.2f} 8-15% {r.recall_by_size['8-15%']:.2f} "
          f">15% {r.recall_by_size['>15%']:.2f}  IoU {r.mean_iou:.2f}", flush=True)
    return row


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 test frames instead of 300")
    ap.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    base = load_base()
    figures = json.loads((WEIGHTS / f"{base.name}.json").read_text()) if (WEIGHTS / f"{base.name}.json").exists() else {}
    seen = figures.get("images_seen_total", figures.get("images_seen", "?"))
    print(f"base model {base.name}: pretrained {figures.get('wall_s_total', figures.get('wall_s', '?'))} s on "
          f"{figures.get('device', '?')}, {seen} synthetic images, {figures.get('params', '?')} parameters")
    bench = make_benchmark(seed=7, n_test=100 if args.quick else 300)
    labels = [b.name for b in bench.brands]
    train = [LabeledImage(f.image, [(i.label, i.box) for i in f.instances if i.is_brand]) for f in bench.train]
    n_boxes = sum(len(t.boxes) for t in train)
    print(f"benchmark: {len(train)} training frames ({n_boxes} boxes), {len(bench.test)} test frames, "
          f"{len(labels)} brands, {len(bench.distractors)} distractors\n")
    rows = [
        run_method("SIFT + RANSAC on labeled crops", lambda: SiftMatcher(train, labels),
                   lambda m, img: m.detect(img), bench, labels),
        run_method("base model + linear head", lambda: train_head(train, labels, base, classifier="linear"),
                   lambda h, img: LocalDetector(h, base).detect(img, 0.5), bench, labels),
        run_method("base model + MLP head", lambda: train_head(train, labels, base, classifier="mlp"),
                   lambda h, img: LocalDetector(h, base).detect(img, 0.5), bench, labels),
        run_method("base model + both, agreeing (chosen)", lambda: train_head(train, labels, base),
                   lambda h, img: LocalDetector(h, base).detect(img, 0.5), bench, labels),
    ]
    print()
    concepts = concept_rows(args.quick)
    if args.out:
        args.out.write_text(json.dumps({"base": figures.get("name"), "object": rows, "concept": concepts}, indent=1))


if __name__ == "__main__":
    main()
