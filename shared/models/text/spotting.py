"""Brands found by reading lines of text: the text-only model, and text evidence for boxes that
came from elsewhere (Rekognition Custom Labels with DetectText).

Lines that sit together (a name above its tagline, two words on a board) are read together; a
group whose reading holds a brand's words (the semi-global match of shared/models/text/match.py)
is that brand, boxed by its lines. Lines come from PP-OCR locally (shared/models/text/finder.py)
or from Rekognition's DetectText.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from shared.detections import Detections, box_iou
from shared.models.text.match import TextSignatures, misread, normalize, normalized_reading
from shared.models.text.reader import Reading


@dataclass(frozen=True)
class ReadLine:
    xyxy: tuple[float, float, float, float]  # frame pixels
    reading: Reading


def _together(a: ReadLine, b: ReadLine) -> bool:
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a.xyxy, b.xyxy
    h = min(ay1 - ay0, by1 - by0)
    v_overlap = min(ay1, by1) - max(ay0, by0)
    h_overlap = min(ax1, bx1) - max(ax0, bx0)
    same_row = v_overlap > 0.5 * h and max(ax0, bx0) - min(ax1, bx1) < 1.0 * h
    stacked = -v_overlap < 0.8 * h and h_overlap > 0.3 * min(ax1 - ax0, bx1 - bx0)
    return same_row or stacked


def groups(lines: Sequence[ReadLine]) -> list[list[int]]:
    """Lines of one mark, each group in reading order (top to bottom, left to right)."""
    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            if _together(lines[i], lines[j]):
                parent[root(i)] = root(j)
    out: dict[int, list[int]] = {}
    for i in range(len(lines)):
        out.setdefault(root(i), []).append(i)
    return [sorted(g, key=lambda k: (round(lines[k].xyxy[1] / 8), lines[k].xyxy[0])) for g in out.values()]


def _brands(group: list[int], lines: Sequence[ReadLine], text: TextSignatures) -> list[tuple[str, float]]:
    """(label, confidence) of every brand whose words the group's reading holds."""
    chars, conf = "", []
    for k in group:
        t, c = normalized_reading(lines[k].reading)
        chars, conf = chars + t, conf + c
    if not chars:
        return []
    mean = float(np.mean(conf)) if conf else 0.0
    found = []
    for label, words in text.signatures.items():
        d = min(_name_distance(w, chars, conf) for w in words)
        if d <= LOOSE:
            found.append((label, round(mean * (1 - d), 4)))
    return found


#: With no head to say "a logo is here", a line may miss a letter or two of the name (occluded,
#: cut by the frame) and still count: a third of a name's letters at most; but sure letters read
#: as others make another word (a rival's), so those may cost a tenth of it at most.
LOOSE = 0.3
SUBSTITUTED = 0.1


def _name_distance(words: str, chars: str, conf: Sequence[float]) -> float:
    """How far a brand's words are from a reading: by its longest word (the name; a tagline under
    it is often too small to read), and all its words together when that is nearer; 1 when sure
    letters differ (see SUBSTITUTED)."""
    parts = [normalize(p) for p in words.split()] or [normalize(words)]
    name = max(parts, key=len)
    if len(name) < 2:
        return 1.0
    best = 1.0
    for candidate in (name, words):
        substituted, other = misread(candidate, chars, conf)
        if substituted <= SUBSTITUTED:
            best = min(best, substituted + other)
    return best


def brands_in_lines(lines: Sequence[ReadLine], text: TextSignatures, size: tuple[int, int],
                    min_confidence: float = 0.5) -> Detections:
    """The text-only model's answer for one frame."""
    boxes, scores, names = [], [], []
    for group in groups(lines):
        for label, score in _brands(group, lines, text):
            if score >= min_confidence:
                xyxy = np.array([lines[k].xyxy for k in group], np.float32)
                boxes.append([xyxy[:, 0].min(), xyxy[:, 1].min(), xyxy[:, 2].max(), xyxy[:, 3].max()])
                scores.append(score)
                names.append(label)
    if not boxes:
        return Detections.empty(size)
    return Detections(np.array(boxes, np.float32), scores, names, size).with_nms(0.5)


def fuse(det: Detections, lines: Sequence[ReadLine], text: TextSignatures, min_confidence: float = 0.5) -> Detections:
    """Text evidence for boxes from another model: a box of a label that has words is kept when
    the text inside it reads as them (or nothing legible is inside), dropped when it reads as
    something else; text that reads as a label becomes a box of it. Where a box and a reading of
    the same label overlap they are one mark and the more confident stands (the box on a tie):
    each is suppressed only by a more confident one, so detections cut at a lower
    `min_confidence` and then at a higher one are those cut at the higher one at once."""
    found = brands_in_lines(lines, text, det.image_size, min_confidence)
    keep = np.ones(len(det), bool)
    for i in range(len(det)):
        label = str(det.labels[i])
        if label not in text.signatures or not det.has_boxes[i]:
            continue
        inside = [k for k, line in enumerate(lines) if _centre_in(line.xyxy, det.xyxy[i])]
        if not inside:
            continue
        said = {name for g in groups([lines[k] for k in inside]) for name, _ in _brands(g, [lines[k] for k in inside], text)}
        legible = any(len(normalize(lines[k].reading.text)) >= 3 and lines[k].reading.confidence >= text.legible
                      for k in inside)
        if label not in said and (said or legible):
            keep[i] = False  # it reads as another brand, or as legible words that are not its own
    det = det[keep]
    if not len(found):
        return det
    both = Detections.joined([det, found])
    from_text = np.arange(len(both)) >= len(det)
    ious = box_iou(both.xyxy, both.xyxy)
    kept: list[int] = []
    for i in np.argsort(-both.confidence, kind="stable"):
        if not any(from_text[k] != from_text[i] and both.labels[k] == both.labels[i] and ious[i, k] > 0.1
                   for k in kept):
            kept.append(int(i))
    return both[np.array(sorted(kept))]


def _centre_in(line: tuple[float, float, float, float], box: np.ndarray) -> bool:
    cx, cy = (line[0] + line[2]) / 2, (line[1] + line[3]) / 2
    return bool(box[0] <= cx <= box[2] and box[1] <= cy <= box[3])
