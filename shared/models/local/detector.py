"""Local object detection: base-model peaks -> the user's head -> (text evidence) -> boxes with labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from shared.detections import Detections, box_iou
from shared.models.local.base import BaseModel, load_base
from shared.models.local.head import OTHER, Candidates, Head, candidates
from shared.models.local.reading import Fusion, Weights, crop
from shared.models.text.lexicon import Lexicon
from shared.models.text.match import Evidence, TextSignatures
from shared.models.text.reader import Reading, TextReader

#: Base-model peaks a frame may give (the strongest first). A broadcast frame spends 25 on players
#: and the crowd before a clear board gets one: 60 took the demo clip's screen-time error from
#: 16 % to 5.5 % for 13 % more reads (docs/models.md); the head itself costs next to nothing.
CANDIDATES = 60


def suppress_inside(det: Detections) -> Detections:
    """One logo often gives several peaks (a wordmark's letters): keep the best box per logo,
    dropping same-label boxes whose centre lies inside a better one (only a better one: a
    threshold applied afterwards keeps what it would have kept applied before)."""
    if len(det) < 2:
        return det
    order = np.argsort(-det.confidence, kind="stable")
    keep: list[int] = []
    for i in order:
        cx, cy = (det.xyxy[i, 0] + det.xyxy[i, 2]) / 2, (det.xyxy[i, 1] + det.xyxy[i, 3]) / 2
        if any(det.labels[k] == det.labels[i] and det.xyxy[k, 0] <= cx <= det.xyxy[k, 2]
               and det.xyxy[k, 1] <= cy <= det.xyxy[k, 3] for k in keep):
            continue
        keep.append(int(i))
    return det[np.array(keep)]


def one_box_per_mark(det: Detections) -> Detections:
    """Overlapping boxes of a label, and boxes inside a better one of it, give way to the best."""
    return suppress_inside(det.with_nms(0.4))


def same_box(xyxy: np.ndarray, iou: float, inside: float = 0.7) -> list[list[int]]:
    """Greedy: each box, in the order given (largest first), takes the later ones that overlap it by
    `iou` or lie mostly (`inside` of their area) within it: a peak around two letters of a word
    shares the word's reading (8 % fewer reads on the benchmark, the same F1)."""
    x = xyxy.astype(np.float32)
    ious = box_iou(x, x) if len(x) else np.zeros((0, 0))
    area = np.maximum((x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1]), 1e-6)
    taken = np.zeros(len(x), bool)
    groups = []
    for i in range(len(x)):
        if taken[i]:
            continue
        iw = np.clip(np.minimum(x[i, 2], x[:, 2]) - np.maximum(x[i, 0], x[:, 0]), 0, None)
        ih = np.clip(np.minimum(x[i, 3], x[:, 3]) - np.maximum(x[i, 1], x[:, 1]), 0, None)
        within = iw * ih >= inside * area
        members = [j for j in range(i, len(x)) if not taken[j] and (j == i or ious[i, j] >= iou or within[j])]
        taken[members] = True
        groups.append(members)
    return groups


def mark_groups(s: "Scored", text_labels: np.ndarray, floor: float, group_iou: float) -> list[list[int]]:
    """The candidates worth reading (a text label scored >= `floor`), grouped per mark, each group's
    largest box first: its crop is the group's one reading."""
    if not len(s.probs):
        return []
    idx = np.nonzero(s.probs[:, text_labels].max(axis=1) >= floor)[0]
    boxes = s.cand.xyxy[idx]
    idx = idx[np.argsort(-(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))]
    return [[int(idx[g]) for g in group] for group in same_box(s.cand.xyxy[idx], group_iou)]


@dataclass
class Scored:
    """One frame's candidates after the head (and text evidence): what tracks link and finish."""

    cand: Candidates
    probs: np.ndarray  # (n, labels + 1)
    size: tuple[int, int]
    evidence: dict[int, Evidence] = field(default_factory=dict)  # candidate -> what its reading said
    head: np.ndarray | None = None  # the head's own probabilities, before any reading (follow.py)


class LocalDetector:
    def __init__(self, head: Head, base: BaseModel | None = None, text: TextSignatures | None = None,
                 reader: TextReader | None = None, fusion: Fusion | None = None) -> None:
        self.head = head
        self.base = base or load_base(head.base)
        self.labels = np.array(head.labels + [OTHER], dtype=object)
        self.text = text if text else None
        self.reader = reader
        self.fusion = fusion or Fusion()
        self.text_labels = np.array([label in (text.signatures if text else {}) for label in head.labels] + [False])
        self.reads = 0  # crops read so far (for the bench's figures)
        self.lexicon = (Lexicon(reader.chars, [w for w, _ in text.spelled()])
                        if text and reader and self.fusion.spot else None)

    def detect(self, image: np.ndarray, min_confidence: float = 0.5) -> Detections:
        return self.detect_many([image], min_confidence)[0]

    def detect_many(self, images: Sequence[np.ndarray], min_confidence: float = 0.5) -> list[Detections]:
        """A batch of frames: their candidates' readings (if any) go to the recogniser together."""
        return [self.finish(s, min_confidence) for s in self.score_many(images)]

    def score_many(self, images: Sequence[np.ndarray]) -> list[Scored]:
        scored = [self._score(image) for image in images]
        if self.text is not None and self.reader is not None:
            self._read(images, scored)
        return scored

    def _score(self, image: np.ndarray) -> Scored:
        cand = candidates(self.base.run(image), self.head.min_heat, CANDIDATES)
        probs = self.head.probabilities(cand.features) if len(cand.cells) else np.zeros((0, len(self.labels)))
        return Scored(cand, probs, (image.shape[1], image.shape[0]), head=probs.copy())

    def _read(self, images: Sequence[np.ndarray], scored: list[Scored]) -> None:
        """Read each mark once: candidates whose boxes overlap share one reading, taken from the
        largest of their boxes (the most complete view of the mark; a wordmark gives a peak per
        letter or two, some with a box around a few letters only)."""
        assert self.text is not None and self.reader is not None
        wanted: list[tuple[int, list[int]]] = []
        crops = []
        for i, (image, s) in enumerate(zip(images, scored)):
            for members in mark_groups(s, self.text_labels, self.fusion.read_from, self.fusion.group_iou):
                c = crop(image, s.cand.xyxy[members[0]])
                if c is not None:
                    wanted.append((i, members))
                    crops.append(c)
        for (i, members), (_, evidence, weights) in zip(wanted, self._evidence(crops)):
            for k in members:
                self.fusion.use(scored[i].probs[k], self.head.labels, self.text_labels, evidence, weights)
                scored[i].evidence[k] = evidence

    def _evidence(self, crops: list[np.ndarray]) -> list[tuple[Reading, Evidence, Weights | None]]:
        """What each crop reads, what that says, and (weighing, when it names no word) how it weighs each label."""
        assert self.reader is not None
        if not crops:
            return []
        self.reads += len(crops)
        return [self.evidence(probs) for probs in self.reader.probabilities(crops)]

    def evidence(self, probs: np.ndarray) -> tuple[Reading, Evidence, Weights | None]:
        """One crop's recogniser probabilities -> its reading, what it says, how it weighs (the
        replay bench calls this on recorded probabilities)."""
        assert self.text is not None and self.reader is not None
        costs = self.lexicon.costs(probs) if self.lexicon is not None else None
        reading = self.reader.decode(probs)
        evidence = self.text.judge(reading, costs)
        weights = (self.text.weights(costs) if self.fusion.weighing and costs is not None and evidence.silent
                   else None)
        return reading, evidence, weights

    def reread(self, crops: list[np.ndarray], labels: Sequence[str], priors: Sequence[float]) -> list[tuple[float, str]]:
        """How strongly each crop reads as its label (the score a candidate the head gave its
        prior for it would end with, after its reading), and what it reads (shared/models/local/follow.py)."""
        assert self.text is not None
        out = []
        for label, prior, (reading, evidence, weights) in zip(labels, priors, self._evidence(crops)):
            k = self.head.labels.index(label)
            probs = np.zeros(len(self.labels))
            probs[k] = prior
            self.fusion.use(probs, self.head.labels, self.text_labels, evidence, weights)
            out.append((float(probs[k]), reading.text))
        return out

    def finish(self, s: Scored, min_confidence: float) -> Detections:
        if len(s.cand.cells) == 0:
            return Detections.empty(s.size)
        probs = s.probs[:, :len(self.head.labels)]
        cls = probs.argmax(axis=1)
        conf = probs[np.arange(len(cls)), cls]
        keep = conf >= min_confidence
        det = Detections(s.cand.xyxy[keep], conf[keep], self.labels[cls[keep]], s.size)
        return one_box_per_mark(det)
