"""Text-fusion replay: record what the recogniser says about every candidate once, then try ways of
fusing it with the head in seconds (docs/models.md, "Weighing every reading").

    python bench/fusion.py record --seed 11 [--seed 13] [--n 300]
    python bench/fusion.py replay --seed 11 --seed 13 [--seed 7]

`record` trains the shipped model on the typeset benchmark's 60 labeled frames of each seed (as
bench/models.py does), runs the base model and head on its test frames, groups the candidates
any text label gets >= 0.03 for (the lowest floor worth replaying) as the detector does, and
stores each group's recogniser probabilities (bench/.cache/fusion-SEED.pkl). `replay` runs the
shipped `Fusion` and the variants below over the recordings: presence P/R/F1, the share of
look-alike instances reported as a brand, and groups read per frame. Tune on seeds 11 and 13;
seed 7 is the held-out one, to report, not to choose by. A replay groups candidates at the
recording floor, so a variant reading from a higher floor differs slightly from the detector
(0.003 F1 on seed 7); end-to-end figures come from bench/models.py.
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

from bench.models import shipped  # noqa: E402
from shared.models.local.base import load_base  # noqa: E402
from shared.models.local.detector import LocalDetector, Scored, mark_groups  # noqa: E402
from shared.models.local.reading import Fusion, crop  # noqa: E402
from shared.models.local.trainer import LabeledImage  # noqa: E402
from shared.models.text.lexicon import Lexicon  # noqa: E402
from shared.models.text.reader import load_reader  # noqa: E402
from devtools.synth.benchmark import make_benchmark  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
FLOOR = 0.03


def record(seed: int, n: int) -> Path:
    bench = make_benchmark(seed=seed, n_test=n, family="typeset")
    labels = [b.name for b in bench.brands]
    base, reader = load_base(), load_reader()
    train = [LabeledImage(f.image, [(i.label, i.box) for i in f.instances if i.is_brand]) for f in bench.train]
    head, text = shipped(train, labels, base)
    detector = LocalDetector(head, base)
    text_labels = np.array([label in text.signatures for label in head.labels] + [False])
    frames = []
    for f in bench.test:
        s = detector.score_many([f.image])[0]
        groups = []
        for members in mark_groups(s, text_labels, FLOOR, Fusion().group_iou):
            c = crop(f.image, s.cand.xyxy[members[0]])
            if c is not None:
                groups.append((members, reader.probabilities([c])[0]))
        frames.append({"scored": s, "groups": groups,
                       "brands": {i.label for i in f.instances if i.is_brand},
                       "lookalikes": [i.box for i in f.instances if i.label.startswith("lookalike")]})
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"fusion-{seed}.pkl"
    path.write_bytes(pickle.dumps({"head": head, "text": text, "frames": frames}))
    print(f"seed {seed}: {len(frames)} frames, {sum(len(f['groups']) for f in frames)} groups -> {path}")
    return path


def replay(rec: dict, fusion: Fusion) -> dict:
    head, text = rec["head"], rec["text"]
    detector = LocalDetector(head, load_base(head.base), fusion=fusion)
    reader = load_reader()
    lexicon = Lexicon(reader.chars, [w for w, _ in text.known()])
    text_labels = np.array([label in text.signatures for label in head.labels] + [False])
    tp = fp = fn = seen = hit = reads = 0
    for f in rec["frames"]:
        s: Scored = f["scored"]
        probs = s.probs.copy()
        for members, p in f["groups"]:
            if s.probs[members][:, text_labels].max() < fusion.read_from:
                continue
            reads += 1
            costs = lexicon.costs(p)
            evidence = text.judge(reader.decode(p), costs)
            weights = text.costs_by_label(costs) if fusion.weighing and evidence.silent else None
            for k in members:
                fusion.use(probs[k], head.labels, text_labels, evidence, weights)
        det = detector.finish(dataclasses.replace(s, probs=probs), 0.5)
        found = set(det.labels)
        tp, fp, fn = tp + len(found & f["brands"]), fp + len(found - f["brands"]), fn + len(f["brands"] - found)
        for x0, y0, x1, y1 in f["lookalikes"]:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            seen += 1
            hit += any(a <= cx <= c and b <= cy <= d for a, b, c, d in det.xyxy)
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"P": p, "R": r, "F1": 2 * p * r / max(1e-9, p + r), "look": hit / max(1, seen),
            "reads": reads / len(rec["frames"])}


VARIANTS = {
    "shipped (readings that name nothing leave the head alone)": Fusion(),
    "every reading weighed (BRANDVIS_TEXT_WEIGHING=1)": Fusion(weighing=True),
    "weighed, read from 0.03": Fusion(weighing=True, read_from=0.03),
    "weighed, read from 0.1": Fusion(weighing=True, read_from=0.1),
    "weighed, no rival term": Fusion(weighing=True, rival=0.0),
    "weighed, weight 0.8, fair 3.0": Fusion(weighing=True, weight=0.8, fair=3.0),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("record", "replay"))
    ap.add_argument("--seed", type=int, action="append", help="benchmark seed (11, 13: tuning; 7: held out)")
    ap.add_argument("--n", type=int, default=300, help="test frames per seed")
    args = ap.parse_args()
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
