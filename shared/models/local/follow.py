"""Following a found mark onto the neighbouring sampled frames where the base model lost it.

On some frames the base model gives a mark no peak at all (pale lettering on a light board, a
mark a few per cent of the frame wide, a blur), or peaks whose boxes hold a few of its letters
("Nor" of a tilted Nordane: Nordale's too), although the frame before or after found it and
read it; tracks (tracks.py) cannot carry an identity to a candidate that does not exist. So a
mark found of a label with words is read again where it was on the frame before and the frame
after when they lack the label: a little wider than its box (marks drift), then, where that
does not find it, a box width wider each side (its box may have held the emblem of a
combination mark, or part of the word), then, where the head has a candidate for the label there
that has moved off the box (a panning camera), as widely around that candidate. A crop scores as
the candidate there would after that reading (a clear word: the rescue score; no word: weighed
by what it spells): the head's own score for the label at that place before any reading (at
most `CAP`: the reading must still speak), or `PRIOR` where the head had nothing there. One that
reaches `SEED` is found there and followed in turn. A look-alike's crop reads as its own word and stops it; so does an
empty board.

The detect stage hands it a segment's frames and the next segment's first few (extract's
"ahead"): a mark is followed across the seam, both ways.

Measured on video (bench/fusion.py --video; docs/models.md): the mean screen-time error of the
bench's videos 10.9 % -> 5.6 %, the demo clip's 7.3 % -> 4.3 %, the tuning videos' 9.2 % -> 8.5 %,
for 0.4-0.6 reads a sampled frame, and no frame of a brand that is not there; reading around the
moved candidate too, 5.2 / 4.3 / 8.1 %; and across seams (3 frames), 4.2 / 4.3 / 8.1 %."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from shared.detections import Detections, box_iou
from shared.models.local.detector import Scored, one_box_per_mark
from shared.models.local.reading import PAD_X, PAD_Y, crop
from shared.models.text.match import TextSignatures

SEED = 0.5  # marks found this sure are followed, whatever floor the job keeps detections down to
PRIOR = 0.05  # a re-read crop scores as a candidate the head gave this much for the label...
CAP = 0.5  # ...or as the head's own candidate there did, up to this much
SNAP = True  # then, where none scores SEED, read as widely around the head's candidate for the label on
SNAP_IOU = 0.5  # that frame, when it has moved this far from the box followed (a moving mark)
PADS = ((0.15, 0.15), (1.0, 0.3))  # ...read this much wider than a candidate's crop (x, y: fractions of the
# box), the second only where the first scores below SEED

#: Reads crops for their labels: (crops, labels, priors) -> per crop, how strongly it reads as its
#: label (0..1) from that prior, and what it reads (LocalDetector.reread).
Reread = Callable[[list[np.ndarray], list[str], list[float]], list[tuple[float, str]]]
#: (frame, label, box) -> what the head gave the label there before any reading, and where the
#: mark is on that frame (its candidate's box there; the box given where it had none).
Prior = Callable[[int, str, np.ndarray], tuple[float, np.ndarray]]


def head_prior(scored: Sequence[Scored], labels: Sequence[str]) -> Prior:
    """The head's best score for the label among a frame's candidates that overlap the box, at
    most `CAP`, and that candidate's box (a moving mark is read where it is now too, not only
    where it was); `PRIOR` and the box given where none does (a mark the base model gave no peak)."""
    def prior(n: int, label: str, box: np.ndarray) -> tuple[float, np.ndarray]:
        s = scored[n]
        box = np.asarray(box, np.float32)
        if s.head is None or not len(s.cand.xyxy):
            return PRIOR, box
        iou = box_iou(box[None], s.cand.xyxy)[0]
        near = np.nonzero(iou >= 0.1)[0]
        if not len(near):
            return PRIOR, box
        scores = s.head[near, list(labels).index(label)]
        best = int(np.argmax(scores))
        where = s.cand.xyxy[near[best]] if scores[best] >= PRIOR else box
        return float(np.clip(scores[best], PRIOR, CAP)), np.asarray(where, np.float32)
    return prior


def follow(found: Sequence[Detections], frames: Sequence[np.ndarray], reread: Reread,
           text: TextSignatures, prior: Prior | None = None) -> list[list[tuple[str, np.ndarray, float]]]:
    """Per frame, the marks found by re-reading (label, box, score), in rounds: each round reads
    the neighbours of what the last one found, all its crops of a width in one call. A label is
    read once on a frame (at each width, until one finds it), and only on frames that lack it:
    screen time is what this mends. `prior` (default: `PRIOR` everywhere) is what the head gave
    the label there (`head_prior`)."""
    prior = prior or (lambda n, label, box: (PRIOR, np.asarray(box, np.float32)))
    has = [{lab for lab, c in zip(d.labels, d.confidence) if c >= SEED} for d in found]
    asked: set[tuple[int, str]] = set()
    added: list[list[tuple[str, np.ndarray, float]]] = [[] for _ in found]
    todo = [(i, lab, box) for i, d in enumerate(found) for lab, box, c in zip(d.labels, d.xyxy, d.confidence)
            if c >= SEED and lab in text.signatures]
    while todo:
        asks: dict[int, list[tuple[str, np.ndarray]]] = {}
        for i, label, box in todo:
            for n in (i - 1, i + 1):
                if 0 <= n < len(found) and label not in has[n] and (n, label) not in asked:
                    asked.add((n, label))
                    asks.setdefault(n, []).append((label, box))
        tiers: list[list[tuple[np.ndarray, np.ndarray]]] = []  # per ask, (crop, box) in the order read
        marks, where, priors = [], [], []
        for n in sorted(asks):
            image = frames[n]  # one frame decoded at a time: only its crops are kept
            for label, near in asks[n]:
                score, there = prior(n, label, near)
                boxes = [near] * len(PADS)
                pads = list(PADS)
                if SNAP and box_iou(np.asarray(near, np.float32)[None], there[None])[0, 0] < SNAP_IOU:
                    boxes.append(there)
                    pads.append(PADS[-1])
                cut = [(crop(image, box, PAD_X + px, PAD_Y + py), box) for box, (px, py) in zip(boxes, pads)]
                cut = [(c, box) for c, box in cut if c is not None]
                if cut:
                    tiers.append(cut)  # type: ignore[arg-type]
                    marks.append(label)
                    where.append(n)
                    priors.append(score)
        todo = []
        left = list(range(len(marks)))
        k = 0
        while left:
            results = reread([tiers[i][k][0] for i in left], [marks[i] for i in left], [priors[i] for i in left])
            for i, (score, _) in zip(left, results):
                if score >= SEED:
                    n, label, box = where[i], marks[i], tiers[i][k][1]
                    added[n].append((label, box, score))
                    has[n].add(label)
                    todo.append((n, label, box))
            k += 1
            left = [i for i, (score, _) in zip(left, results) if score < SEED and k < len(tiers[i])]
    return added


def with_followed(det: Detections, marks: Sequence[tuple[str, np.ndarray, float]], min_confidence: float) -> Detections:
    """A frame's detections with the marks following found on it (from `min_confidence`)."""
    marks = [m for m in marks if m[2] >= min_confidence]
    if not marks:
        return det
    more = Detections(np.array([m[1] for m in marks], np.float32), np.array([m[2] for m in marks], np.float32),
                      np.array([m[0] for m in marks], object), det.image_size)
    return one_box_per_mark(Detections.joined([det, more]))
