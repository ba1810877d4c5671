"""Reading one line of text per crop with PP-OCR's recognition model (CTC), on the CPU.

The model file and its character table (in the ONNX metadata) come from the `rapidocr` wheel,
found with `importlib.util.find_spec` without importing the package: its own code can fetch
other models from the network, ours never runs it. One onnxruntime session per process, a
thread or two, no spinning threads (they burn the cores the decoder and other workers need).
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from shared.models.threads import model_threads

#: The wheel that carries the PP-OCR models, and the files used from it.
PACKAGE = "rapidocr"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
DET_MODEL = "PP-OCRv6_det_small.onnx"
HEIGHT = 48  # the recogniser's input height


def model_path(name: str) -> Path:
    """A model file shipped in the `rapidocr` wheel (the package itself is not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the {PACKAGE} package is not installed: it carries the text models (make install)")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the {PACKAGE} wheel")
    return path


def session(path: Path, threads: int) -> "object":
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class Reading:
    text: str  # as read, case kept; "" when nothing was legible
    confidence: float  # mean of the characters' probabilities (0 when empty)
    chars: tuple[float, ...]  # each character's probability


class TextReader:
    """`read(crops)`: one `Reading` per BGR crop, each crop one line of text (or a logo).

    Crops are scaled to 48 px tall and at most `max_width` wide (10:1; wider lines are squeezed):
    the model's memory grows with width (a stress test of crops up to 900 px wide peaked at 690 MB
    resident with 960 px, 330 MB with 480) and the benchmark's figures are the same.
    """

    def __init__(self, threads: int = 0, batch: int = 8, max_width: int = 480) -> None:
        self.session = session(model_path(REC_MODEL), threads or model_threads(min(2, os.cpu_count() or 1)))
        self.input = self.session.get_inputs()[0].name
        table = self.session.get_modelmeta().custom_metadata_map["character"].splitlines()
        chars = ["", *table, " "]  # CTC blank first, space last
        # Brand marks are Latin: keep blank, printable ASCII and space (the table also holds CJK).
        self.keep = np.array([i for i, c in enumerate(chars) if i == 0 or (len(c) == 1 and 32 <= ord(c) < 127)])
        self.chars = [chars[i] for i in self.keep]
        self.index = {c: i for i, c in enumerate(self.chars) if c}
        self.batch = batch
        self.max_width = max_width
        self._lock = threading.Lock()

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        return [self.decode(p) for p in self.probabilities(crops)]

    def probabilities(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per crop, the (time steps, characters) probabilities over `self.chars`."""
        ratios = [c.shape[1] / max(1, c.shape[0]) for c in crops]
        order = np.argsort(ratios)  # similar widths share a batch: less padding
        out: list[np.ndarray] = [np.zeros((1, len(self.chars)), np.float32)] * len(crops)
        for start in range(0, len(crops), self.batch):
            idx = order[start:start + self.batch]
            width = min(self.max_width, max(16, int(math.ceil(HEIGHT * max(ratios[i] for i in idx)))))
            tensor = np.stack([self._prepare(crops[i], width) for i in idx])
            with self._lock:
                probs = self.session.run(None, {self.input: tensor})[0][:, :, self.keep]
            probs /= probs.sum(-1, keepdims=True) + 1e-12
            for k, i in enumerate(idx):
                steps = max(1, int(math.ceil(probs.shape[1] * min(1.0, ratios[i] * HEIGHT / width))))
                out[i] = probs[k, :steps]
        return out

    @staticmethod
    def _prepare(image: np.ndarray, width: int) -> np.ndarray:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        h, w = image.shape[:2]
        rw = min(width, max(1, int(math.ceil(HEIGHT * w / max(1, h)))))
        x = cv2.resize(image, (rw, HEIGHT), interpolation=cv2.INTER_AREA if h > HEIGHT else cv2.INTER_LINEAR)
        out = np.zeros((3, HEIGHT, width), np.float32)  # 0 is mid-grey after normalisation
        out[:, :, :rw] = (x.transpose(2, 0, 1).astype(np.float32) / 255.0 - 0.5) / 0.5
        return out

    def decode(self, probs: np.ndarray) -> Reading:
        """Greedy CTC: best character per step, repeats collapsed, blanks dropped, edges trimmed."""
        ids, conf = probs.argmax(-1), probs.max(-1)
        keep = np.ones(len(ids), bool)
        keep[1:] = ids[1:] != ids[:-1]
        keep &= ids != 0
        chars, cp = [self.chars[j] for j in ids[keep]], conf[keep].tolist()
        while chars and chars[0] == " ":
            chars, cp = chars[1:], cp[1:]
        while chars and chars[-1] == " ":
            chars, cp = chars[:-1], cp[:-1]
        return Reading("".join(chars), float(np.mean(cp)) if cp else 0.0, tuple(float(c) for c in cp))

    def score(self, probs: np.ndarray, word: str) -> float:
        """Mean log-probability per character that the crop reads `word` (CTC forward algorithm);
        -inf when the word has a character the model cannot read."""
        if not word or any(c not in self.index for c in word):
            return float("-inf")
        labels = [0]
        for c in word:
            labels += [self.index[c], 0]
        lp = np.log(np.maximum(probs[:, labels], 1e-30))
        n = len(labels)
        alpha = np.full(n, -np.inf)
        alpha[0] = lp[0, 0]
        alpha[1] = lp[0, 1]
        skip = np.array([s >= 2 and labels[s] != 0 and labels[s] != labels[s - 2] for s in range(n)])
        for t in range(1, len(probs)):
            one = np.concatenate(([-np.inf], alpha[:-1]))
            two = np.where(skip, np.concatenate(([-np.inf, -np.inf], alpha[:-2])), -np.inf)
            alpha = np.logaddexp(np.logaddexp(alpha, one), two) + lp[t]
        return float(np.logaddexp(alpha[-1], alpha[-2])) / len(word)


@lru_cache(maxsize=1)
def load_reader() -> TextReader:
    """One reader per process (its session holds ~40 MB)."""
    return TextReader()
