"""What a label's mark reads as, and what one reading says about a candidate.

A label's **signature** is the word its boxes read as (learned from them at training, or set by
the user). A reading is judged by the nearest *known* string: the labels' signatures and every
string read in the training frames outside labeled boxes (unlabeled look-alikes, ad-board text).
A fixed tolerance cannot tell VOLTIX from its rival VOLTEK (two letters of six); the nearest
known string can. A legible reading near nothing known is evidence against the brand.

Distances are a semi-global edit distance (the word may sit anywhere in the reading: an emblem
beside a name reads as stray letters) in which a misread character costs its own confidence, so
a letter the recogniser was unsure of weighs little.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from shared.models.text.reader import Reading

#: Readings shorter than this (alphanumerics) say nothing.
MIN_CHARS = 3
#: A reading this sure of itself, outside labeled boxes, is known text without a second sighting.
CLEAR = 0.99
#: A reading this long that is part of one known string is evidence for it.
MIN_PART = 4
#: Two known strings of different owners this close to a reading: it says neither.
AMBIGUOUS = 0.03
#: A mark cut by the frame's edge or hidden in part by a player shows the start or the end of its
#: word: 34 % of its letters or more (at least 2) is a piece worth spelling (tuned on videos; docs/models.md).
PIECE, MIN_PIECE = 0.34, 2


def normalize(text: str) -> str:
    """Compare marks case-blind, without spaces or punctuation ("Axiom Labs" == "AXIOMLABS")."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def normalized_reading(reading: Reading) -> tuple[str, list[float]]:
    chars, conf = [], []
    for c, p in zip(reading.text, reading.chars or (1.0,) * len(reading.text)):
        n = normalize(c)
        if n:
            chars.append(n)
            conf.append(p)
    return "".join(chars), conf


def distance(word: str, reading: str, confidence: Sequence[float] | None = None) -> float:
    """How far `word` is from its best match inside `reading`, per character of `word` (0: found
    as is). Reading characters outside the match are free; a substituted or extra reading
    character costs its confidence, a missing one costs 1."""
    return sum(misread(word, reading, confidence))


def levenshtein(a: str, b: str) -> float:
    """Plain edit distance over the longer length (0: the same, 1: nothing alike)."""
    if not a or not b:
        return 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / max(len(a), len(b))


def misread(word: str, reading: str, confidence: Sequence[float] | None = None) -> tuple[float, float]:
    """`distance` split in two, per character of `word`: what sure letters were read as others
    (a different word: VOLTEK for VOLTIX), and what is missing, extra or unsure (a mark cut by the
    frame or an occlusion: "rdane" for Nordane). Of equally good matches, the one that reads a
    different letter is believed (VOLTEK is VOLTIX misread, not VOLT with IX missing)."""
    word = normalize(word)
    if not word:
        return 1.0, 0.0
    conf = list(confidence) if confidence is not None else [1.0] * len(reading)
    n = len(reading)
    # (total, -substituted, other) along the best path to each cell; the word may start anywhere
    prev = [(0.0, 0.0, 0.0)] * (n + 1)
    for i in range(1, len(word) + 1):
        cur = [(prev[0][0] + 1.0, prev[0][1], prev[0][2] + 1.0)] + [(0.0, 0.0, 0.0)] * n
        for j in range(1, n + 1):
            c = conf[j - 1]
            d = 0.0 if word[i - 1] == reading[j - 1] else c
            cur[j] = min((prev[j - 1][0] + d, prev[j - 1][1] - d, prev[j - 1][2]),
                         (prev[j][0] + 1.0, prev[j][1], prev[j][2] + 1.0),
                         (cur[j - 1][0] + c, cur[j - 1][1], cur[j - 1][2] + c))
        prev = cur
    best = min(prev)  # ...and end anywhere
    return -best[1] / len(word), best[2] / len(word)


@dataclass(frozen=True)
class Evidence:
    """What one reading says: `label` it reads as (None: none), or `against` every text label."""

    label: str | None = None
    against: bool = False
    word: str = ""  # the known string it read nearest to, or the legible reading itself
    distance: float = 1.0

    @property
    def silent(self) -> bool:
        return self.label is None and not self.against


@dataclass
class TextSignatures:
    """Per label, the words its mark reads as; plus the strings read elsewhere in training."""

    signatures: dict[str, list[str]] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)  # label -> "read" | "user"
    support: dict[str, list[int]] = field(default_factory=dict)  # label -> [boxes that read it, boxes]
    match: float = 0.2  # a known string this close (per character) is what the reading says
    legible: float = 0.9  # mean confidence from which an unmatched reading is evidence against
    spot: float = 1.0  # CTC word spotting: a known word that costs at most this (nats per letter)...
    margin: float = 0.5  # ...and this much less than any rival's is what the crop says

    def __bool__(self) -> bool:
        return bool(self.signatures)

    def known(self) -> list[tuple[str, str | None]]:
        return [(w, label) for label, words in self.signatures.items() for w in words] + [(w, None) for w in self.others]

    def spelled(self) -> list[tuple[str, str | None]]:
        """`known()`, then the pieces of each known string a cut or half-hidden mark still shows
        (its first or last 34 % or more of the letters) that belong to that string alone: what
        weighing spells (VOLTIX cut to VOLT at the frame's edge still spells its own word)."""
        return self.known() + self._pieces

    @functools.cached_property
    def _pieces(self) -> list[tuple[str, str | None]]:  # once per model: every crop's weighing asks
        known = self.known()
        words = [normalize(w) for w, _ in known]
        pieces: dict[str, str | None] = {}
        for (_, owner), word in zip(known, words):
            shortest = max(MIN_PIECE, math.ceil(len(word) * PIECE))
            for k in range(shortest, len(word)):
                for piece in (word[:k], word[-k:]):
                    if piece not in pieces and sum(piece in w for w in words) == 1:
                        pieces[piece] = owner
        return [(piece, owner) for piece, owner in pieces.items() if piece not in words]

    def costs_by_label(self, costs: Sequence[float], pieces: bool = False) -> dict[str, tuple[float, float]]:
        """Per label with a signature: (the cheapest of its words, the cheapest string of anyone
        else: another brand's, a rival's, an ad board's), from `costs` (one per `spelled()` string,
        or per `known()` one); with `pieces`, the words' pieces count too."""
        known, spelled = self.known(), self.spelled()
        if len(costs) not in (len(known), len(spelled)) or (pieces and len(costs) != len(spelled)):
            return {}
        entries = spelled if pieces else known
        out = {}
        for label in self.signatures:
            own = min((float(c) for c, (_, o) in zip(costs, entries) if o == label), default=float("inf"))
            rival = min((float(c) for c, (_, o) in zip(costs, entries) if o != label), default=float("inf"))
            out[label] = (own, rival)
        return out

    def weights(self, costs: Sequence[float]) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
        """What `Fusion.weigh` moves a silent reading's labels by: whole words, then pieces too."""
        return self.costs_by_label(costs), self.costs_by_label(costs, pieces=True)

    def judge(self, reading: Reading, costs: Sequence[float] | None = None) -> Evidence:
        """What the reading says; `costs` (shared/models/text/lexicon.py, one per `known()` or
        `spelled()` string) let the recogniser's probabilities speak where its greedy reading is unsure."""
        known = self.known()
        if costs is not None and len(costs) == len(self.spelled()):
            costs = costs[:len(known)]  # pieces weigh; only whole words say what a crop reads
        if costs is not None and len(costs) == len(known) and len(known):
            order = np.argsort(costs)
            best = int(order[0])
            if costs[best] <= self.spot:
                owner = known[best][1]
                rival = next((costs[i] for i in order[1:] if known[i][1] != owner), np.inf)
                if rival - costs[best] < self.margin:
                    return Evidence()
                return Evidence(label=owner, against=owner is None, word=known[best][0], distance=float(costs[best]))
        text, conf = normalized_reading(reading)
        if len(text) < MIN_CHARS:
            return Evidence()
        scored = sorted((distance(w, text, conf), -len(normalize(w)), w, label) for w, label in known)
        if scored and scored[0][0] <= self.match:
            d, _, word, label = scored[0]
            rival = next((s for s in scored[1:] if s[3] != label), None)
            if rival is not None and rival[0] - d < AMBIGUOUS:  # VOLTIX or VOLTEK? the reading cannot say
                return Evidence()
            return Evidence(label=label, against=label is None, word=word, distance=d)
        # A crop that holds part of a mark reads part of its word ("Kest", "dane"): evidence for
        # the one known string it is part of, none when several share it ("AXIO": AXIOM, AXION).
        if len(text) >= MIN_PART:
            parts = {label: (d, w) for d, w, label in sorted(
                (distance(text, normalize(w)), w, label) for w, label in known) if d <= self.match}
            if len(parts) == 1:
                label, (d, word) = next(iter(parts.items()))
                return Evidence(label=label, against=label is None, word=word, distance=d)
            if parts:
                return Evidence()
        # Legible text that is nobody's is evidence against; a few letters of a known word ("ane"
        # from a box around the end of Nordane) are not: they say nothing.
        if reading.confidence >= self.legible and not any(text in normalize(w) for w, _ in known):
            return Evidence(against=True, word=reading.text, distance=scored[0][0] if scored else 1.0)
        return Evidence()

    def with_user_words(self, words: dict[str, str]) -> TextSignatures:
        """A copy where the user's words replace what was read ("" removes a label's signature)."""
        signatures = {k: list(v) for k, v in self.signatures.items()}
        source = dict(self.source)
        for label, word in words.items():
            if word.strip():
                signatures[label] = [word.strip()]
                source[label] = "user"
            else:
                signatures.pop(label, None)
                source.pop(label, None)
        return TextSignatures(signatures, list(self.others), source, dict(self.support), self.match, self.legible,
                              self.spot, self.margin)

    def to_dict(self) -> dict[str, Any]:
        return {"signatures": self.signatures, "others": self.others, "source": self.source, "support": self.support,
                "match": self.match, "legible": self.legible, "spot": self.spot, "margin": self.margin}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TextSignatures:
        defaults = cls()
        return cls(d.get("signatures", {}), d.get("others", []), d.get("source", {}), d.get("support", {}),
                   d.get("match", defaults.match), d.get("legible", defaults.legible), d.get("spot", defaults.spot),
                   d.get("margin", defaults.margin))

    def describe(self, label: str) -> str:
        """For people: 'reads as NORDANE in 7 of 11 boxes', or why there is no signature."""
        words = self.signatures.get(label)
        if not words:
            return "no text signature (not read as a word)"
        said = " / ".join(words)
        if self.source.get(label) == "user":
            return f"reads as {said} (set by hand)"
        n, total = self.support.get(label, [0, 0])
        return f"reads as {said} in {n} of {total} boxes"


def parse_words(spec: str) -> dict[str, str]:
    """`"voltix,norda,axiom-labs=AXIOM LABS"` -> {label: the words its mark reads as}: a label
    alone reads as its own name; `=` gives the words (lines of the mark may be separate)."""
    out: dict[str, str] = {}
    for item in spec.split(","):
        label, _, words = item.partition("=")
        label, words = label.strip(), (words.strip() or label.strip())
        if not label:
            if item.strip():
                raise ValueError(f"{item.strip()!r}: a label is needed before '='")
            continue
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}", label):
            raise ValueError(f"label {label!r}: use letters, digits, spaces, '-', '_' or '.' (at most 64)")
        if len(normalize(words)) < 2:
            raise ValueError(f"{label}: {words!r} has too few letters to read (two at least)")
        if label in out:
            raise ValueError(f"label {label!r} is given twice")
        out[label] = words
    if not out:
        raise ValueError("no brand given: --text \"voltix,norda,axiom-labs=AXIOM LABS\"")
    return out


def summary(sig: TextSignatures, labels: Sequence[str]) -> dict[str, Any]:
    """What each label reads as, for the model record (Models page, `brandvis models NAME`)."""
    return {label: {"words": sig.signatures.get(label, []), "source": sig.source.get(label),
                    "support": sig.support.get(label), "says": sig.describe(label)} for label in labels}


def consensus(readings: Iterable[Reading], tolerance: float = 0.34) -> tuple[str | None, int]:
    """The string most readings agree on (within `tolerance` per character), and how many do:
    among the strings read, the one the most readings are near, then the nearest on average."""
    texts = [(normalized_reading(r), r.text) for r in readings]
    texts = [((t, c), raw) for (t, c), raw in texts if len(t) >= MIN_CHARS]
    best: tuple[float, int, str] | None = None
    for cand in {t for (t, _), _ in texts}:
        near = [d for d in (levenshtein(cand, t) for (t, _), _ in texts) if d <= tolerance]
        # A vote weighs by closeness: a cut reading ("AXIO") sits near the whole word and its
        # misreadings alike, and would otherwise outvote the word read exactly 13 times (AXIOM).
        key = (sum(1 - d / (2 * tolerance) for d in near), len(near), cand)
        if best is None or key > best:
            best = key
    if best is None:
        return None, 0
    # Say it as it was most often read exactly (keeps the mark's case: "Nordane", "VOLTIX").
    exact = [raw for (t, _), raw in texts if t == best[2]]
    word = max(set(exact), key=exact.count) if exact else best[2]
    return re.sub(r"[^0-9A-Za-z ]", "", word).strip() or best[2], best[1]


def learn(labeled: dict[str, list[Reading]], elsewhere: Sequence[Reading], min_support: int = 3,
          min_share: float = 0.2) -> TextSignatures:
    """Signatures from the readings of each label's boxes; `others` from readings outside them."""
    sig = TextSignatures()
    for label, readings in labeled.items():
        word, support = consensus(readings)
        sig.support[label] = [support, len(readings)]
        if word and support >= min_support and support >= min_share * len(readings):
            sig.signatures[label] = [word]
            sig.source[label] = "read"
    seen: list[str] = []
    for r in elsewhere:
        text, conf = normalized_reading(r)
        if len(text) < MIN_CHARS or r.confidence < sig.legible:
            continue
        brand_words = [normalize(w) for words in sig.signatures.values() for w in words]
        if any(distance(w, text, conf) <= 0.05 or (len(text) > len(w) + 1 and distance(w, text, conf) <= 0.2)
               or distance(text, w) <= 0.05 for w in brand_words):
            continue  # an unlabeled brand, part of one, or one with stray letters (an emblem beside it)
        # A mark read (nearly) the same twice, or once very clearly, is real text (a rival, a board).
        wordlike = len(text) >= MIN_PART + 1 and sum(c.isalpha() for c in text) >= 0.75 * len(text)
        if (r.confidence >= CLEAR and wordlike) or any(distance(s, text, conf) <= 0.1 for s in seen):
            if not any(distance(o, text, conf) <= 0.1 for o in sig.others):
                sig.others.append(re.sub(r"[^0-9A-Za-z ]", "", r.text).strip())
            continue
        seen.append(r.text)
    return sig
