"""How hard a crop must be forced to read a known word: CTC word spotting over the recogniser's
per-step probabilities.

A small or blurred mark is often misread letter by letter, yet the recogniser's probabilities
still favour the right word over its rival (VOLTIX over VOLTEK). For each known word the cost is
the Viterbi log-probability of the best path that reads the whole crop but spells the word
somewhere in it (steps before and after it read whatever they read best: an emblem beside a name,
a border), subtracted from the best unconstrained path, per letter of the word: 0 when the
crop reads the word as it stands, larger the more letters must be forced. Case and punctuation
do not count (upper and lower case probabilities are added; punctuation and spaces join the blank).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from shared.models.text.match import normalize

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NEG = -1e9


class Lexicon:
    def __init__(self, chars: Sequence[str], words: Sequence[str]) -> None:
        """`chars`: the recogniser's classes (index 0 the CTC blank); `words`: the known strings."""
        self.words = list(words)
        fold = np.zeros((len(chars), len(ALPHABET) + 1), np.float32)
        for i, c in enumerate(chars):
            k = ALPHABET.find(c.upper()) if len(c) == 1 else -1
            fold[i, k + 1 if k >= 0 else 0] = 1.0  # letters case-blind; blank, spaces, punctuation -> 0
        self.fold = fold
        norm = [normalize(w) for w in self.words]
        self.lengths = np.array([max(1, len(n)) for n in norm], np.float32)
        S = 2 * max((len(n) for n in norm), default=0) + 1
        self.labels = np.zeros((len(norm), S), np.int64)  # blank, c1, blank, c2, ..., blank; padded with blanks
        self.valid = np.zeros((len(norm), S), bool)
        self.skip = np.zeros((len(norm), S), bool)
        self.last = np.zeros(len(norm), np.int64)
        for w, n in enumerate(norm):
            seq = [0]
            for c in n:
                seq += [ALPHABET.index(c) + 1, 0]
            self.labels[w, :len(seq)] = seq
            self.valid[w, :len(seq)] = True
            self.last[w] = len(seq) - 1
            for s in range(2, len(seq)):
                self.skip[w, s] = seq[s] != 0 and seq[s] != seq[s - 2]

    def costs(self, probs: np.ndarray) -> np.ndarray:
        """(words,) nats per letter it costs to read each word in this crop (see the module)."""
        if not self.words:
            return np.zeros(0, np.float32)
        lp = np.log(np.maximum(probs @ self.fold, 1e-12))  # (T, 37)
        best = lp.max(axis=1)  # what the step reads best
        T = len(lp)
        W, S = self.labels.shape
        emit = lp[:, self.labels]  # (T, W, S)
        before = 0.0  # the best path so far reading freely (the prefix garbage)
        score = np.full((W, S), NEG)
        score[:, 0] = emit[0, :, 0]
        score[:, 1] = np.where(self.valid[:, 1], emit[0, :, 1], NEG)
        after = np.full(W, NEG)  # the word done, reading freely since
        done = np.arange(W)
        for t in range(1, T):
            before = before + best[t - 1]  # read freely until now; the word may start here
            stay = score
            one = np.concatenate([np.full((W, 1), NEG), score[:, :-1]], axis=1)
            two = np.where(self.skip, np.concatenate([np.full((W, 2), NEG), score[:, :-2]], axis=1), NEG)
            prev = np.maximum(np.maximum(stay, one), two)
            prev[:, 0] = np.maximum(prev[:, 0], before)
            prev[:, 1] = np.maximum(prev[:, 1], before)
            ended = np.maximum(score[done, self.last], score[done, np.maximum(self.last - 1, 0)])
            after = np.maximum(after, ended) + best[t]
            score = np.where(self.valid, prev + emit[t], NEG)
        ended = np.maximum(score[done, self.last], score[done, np.maximum(self.last - 1, 0)])
        forced = np.maximum(after, ended)
        return ((best.sum() - forced) / self.lengths).astype(np.float32)
