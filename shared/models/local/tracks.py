"""Identity along a track: a mark read clearly on some sampled frames keeps its identity on the
frames where it is blurred, small or half hidden, and a mark that reads as a rival's word is
vetoed on all of them.

Candidates of consecutive sampled frames are linked when their boxes overlap and their
embeddings (the base model's "which logo" vector) agree; a chain of links is a track. A track's
readings vote: when some say it is label L and none say otherwise, its unread or illegible
frames get at least `carry` for L if the head gave them `floor` for it; when several say it is
someone else's word and none say L, its unread frames are vetoed. Frames with their own evidence
keep it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from shared.detections import box_iou
from shared.models.local.detector import Scored

EMBED = 48  # the first features of a candidate are its unit embedding


@dataclass
class Carry:
    # Tuned on video (bench/fusion.py --video tune/demo): at 2 sampled frames a second a panning
    # camera moves a board by much of its width, and weighing has already cut what spells no word.
    min_iou: float = 0.1  # boxes of one mark on consecutive sampled frames overlap at least this much
    min_cosine: float = 0.5  # ...and their embeddings agree this much
    floor: float = 0.005  # a frame's candidate needs this much (after its own reading) for the track's label
    carry: float = 0.75  # ...to get at least this
    veto: float = 0.1
    min_against: int = 2  # readings that say "someone else" before a track is vetoed


def link(frames: Sequence[Scored], rule: Carry) -> list[list[tuple[int, int]]]:
    """Tracks as lists of (frame index, candidate index), each candidate in exactly one track."""
    track_of: list[dict[int, int]] = [dict() for _ in frames]
    tracks: list[list[tuple[int, int]]] = []
    for t, here in enumerate(frames):
        n = len(here.cand.cells)
        prev = frames[t - 1] if t else None
        if prev is not None and n and len(prev.cand.cells):
            iou = box_iou(prev.cand.xyxy, here.cand.xyxy)
            a = prev.cand.features[:, :EMBED]
            b = here.cand.features[:, :EMBED]
            cos = (a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-6)) @ \
                  (b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-6)).T
            score = np.where((iou >= rule.min_iou) & (cos >= rule.min_cosine), iou + cos, -1.0)
            taken_prev: set[int] = set()
            for flat in np.argsort(-score, axis=None):
                i, j = divmod(int(flat), n)
                if score[i, j] < 0:
                    break
                if i in taken_prev or j in track_of[t]:
                    continue
                taken_prev.add(i)
                k = track_of[t - 1][i]
                track_of[t][j] = k
                tracks[k].append((t, j))
        for j in range(n):
            if j not in track_of[t]:
                track_of[t][j] = len(tracks)
                tracks.append([(t, j)])
    return tracks


def carry_identity(frames: Sequence[Scored], labels: Sequence[str], text_labels: np.ndarray,
                   rule: Carry | None = None) -> None:
    """In place: each track's readings decide for its frames that have none (module docstring)."""
    rule = rule or Carry()
    for track in link(frames, rule):
        if len(track) < 2:
            continue
        said = [frames[t].evidence[j] for t, j in track if j in frames[t].evidence]
        votes = Counter(e.label for e in said if e.label is not None)
        against = sum(e.against for e in said)
        silent = [(t, j) for t, j in track if j not in frames[t].evidence or frames[t].evidence[j].silent]
        if len(votes) == 1 and against == 0:
            label = next(iter(votes))
            k = list(labels).index(label)
            for t, j in silent:
                p = frames[t].probs[j]
                if p[k] >= rule.floor:
                    p[k] = max(p[k], rule.carry)
        elif not votes and against >= rule.min_against:
            for t, j in silent:
                frames[t].probs[j, text_labels] *= rule.veto
