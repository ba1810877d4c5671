"""Text evidence for the local detector: what the user's labeled boxes read as, and how a
candidate's reading moves its head scores (shared/models/text/ decides what a reading says).

Only candidates that can matter are read: those the head gives at least `read_from` to a label
that has a signature. Each is cropped from the full-resolution frame (not the base model's
640-px input: small marks keep their pixels), a little wider than its box, and all crops of a
batch of frames are read in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from shared.models.local.base import BaseModel
from shared.models.local.head import candidates
from shared.models.text.match import Evidence, TextSignatures, learn
from shared.models.text.reader import Reading, TextReader

Costs = dict[str, tuple[float, float]]  # label -> (its cheapest string's cost, anyone else's), nats a letter
Weights = tuple[Costs, Costs]  # over whole words; over words and their pieces (TextSignatures.weights)

PAD_X, PAD_Y = 0.08, 0.12  # crops reach this far past the box (fractions of its width/height)
MIN_CROP_H = 6


def crop(image: np.ndarray, xyxy: Sequence[float], pad_x: float = PAD_X, pad_y: float = PAD_Y) -> np.ndarray | None:
    x0, y0, x1, y1 = (float(v) for v in xyxy)
    w, h = x1 - x0, y1 - y0
    if h < MIN_CROP_H or w < MIN_CROP_H:
        return None
    H, W = image.shape[:2]
    a, b = max(0, int(x0 - pad_x * w)), max(0, int(y0 - pad_y * h))
    c, d = min(W, int(np.ceil(x1 + pad_x * w))), min(H, int(np.ceil(y1 + pad_y * h)))
    return image[b:d, a:c] if c - a >= MIN_CROP_H and d - b >= MIN_CROP_H else None


@dataclass
class Fusion:
    """How evidence moves head scores (tuned on benchmark seed 11; docs/models.md)."""

    read_from: float = 0.07  # read a candidate the head gives at least this to a text label
    rescue: float = 0.9  # a candidate that reads as label L scores at least this for L
    veto: float = 0.1  # scores of text labels are multiplied by this when the reading says otherwise
    group_iou: float = 0.3  # candidates whose boxes overlap this much share one reading
    spot: bool = True  # judge by CTC word spotting too (shared/models/text/lexicon.py)
    # A reading that names no word still weighs each label (`weigh`): log-odds added per nat a
    # letter that its word (or a piece of it: a mark cut by the frame's edge) costs below `fair`,
    # and per nat a letter it beats everyone else's. Setting BRANDVIS_TEXT_WEIGHING turns it off.
    # Weight tuned on video (bench/fusion.py --video tune/demo), where screen time is measured.
    weighing: bool = True
    weight: float = 0.8
    fair: float = 3.5
    rival: float = 2.0
    rival_cap: float = 2.0

    def apply(self, probs: np.ndarray, labels: Sequence[str], text_labels: np.ndarray, evidence: Evidence) -> None:
        """In place, one candidate's probabilities (labels first, 'other' last)."""
        if evidence.silent:
            return
        if evidence.label is not None:
            k = list(labels).index(evidence.label)
            others = text_labels.copy()
            others[k] = False
            probs[others] *= self.veto
            probs[k] = max(probs[k], self.rescue)
        else:
            probs[text_labels] *= self.veto

    def use(self, probs: np.ndarray, labels: Sequence[str], text_labels: np.ndarray, evidence: Evidence,
            weights: Weights | None) -> None:
        """In place: weigh by `weights` (a silent reading's costs, when weighing) or apply `evidence`."""
        if weights and weights[0]:
            self.weigh(probs, labels, text_labels, *weights)
        else:
            self.apply(probs, labels, text_labels, evidence)

    def weigh(self, probs: np.ndarray, labels: Sequence[str], text_labels: np.ndarray, costs: Costs,
              pieces: Costs | None = None) -> None:
        """In place, for a reading that names no word: each text label's score moves by how
        cheaply the crop spells its word (`costs`: label -> (its word's cost, the cheapest other
        known string's), nats a letter). Background spells no brand (8 nats a letter, typically)
        and loses the head's doubtful yes; a small blurred mark spells its own word at 1-2 and
        keeps it, or gains it back; a look-alike spells its rival's word more cheaply and loses it.
        `pieces` (the same, over the pieces of words a cut or half-hidden mark shows too) may keep
        the head's yes, never add one: "ANA" is cheap in much lettering that is not ORBANA
        (tuned on videos and stills; docs/models.md)."""
        head = probs.copy()
        self._move(probs, labels, text_labels, costs)
        if pieces:
            cut = head.copy()
            self._move(cut, labels, text_labels, pieces)
            np.maximum(probs, np.minimum(head, cut), out=probs)

    def _move(self, probs: np.ndarray, labels: Sequence[str], text_labels: np.ndarray, costs: Costs) -> None:
        for k, label in enumerate(labels):
            own, rival = costs.get(label, (float("inf"), float("inf")))
            if not text_labels[k] or not np.isfinite(own):
                continue
            beat = float(np.clip(rival - own, -self.rival_cap, self.rival_cap)) if np.isfinite(rival) else self.rival_cap
            lift = self.weight * (self.fair - own)
            if beat < 0:  # another known word fits better: the crop's own word is no reason to believe
                lift = min(lift, 0.0)
            p = float(np.clip(probs[k], 1e-6, 1 - 1e-6))
            z = np.log(p / (1 - p)) + lift + self.rival * beat
            probs[k] = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def learn_signatures(images: Sequence[tuple[np.ndarray, list[tuple[str, tuple[float, float, float, float]]]]],
                     labels: Sequence[str], base: BaseModel, reader: TextReader,
                     per_image: int = 16) -> TextSignatures:
    """Read every labeled box, and the base model's strongest candidates outside them."""
    crops: list[np.ndarray] = []
    owners: list[str | None] = []
    for image, boxes in images:
        for label, box in boxes:
            c = crop(image, box)
            if c is not None:
                crops.append(c)
                owners.append(label)
        cand = candidates(base.run(image), min_heat=0.1, limit=per_image)
        for xyxy in cand.xyxy:
            cx, cy = (xyxy[0] + xyxy[2]) / 2, (xyxy[1] + xyxy[3]) / 2
            if any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for _, b in boxes):
                continue
            c = crop(image, xyxy)
            if c is not None:
                crops.append(c)
                owners.append(None)
    readings = reader.read(crops) if crops else []
    by_label: dict[str, list[Reading]] = {label: [] for label in labels}
    elsewhere = []
    for owner, r in zip(owners, readings):
        (by_label[owner] if owner is not None else elsewhere).append(r)
    return learn(by_label, elsewhere)
