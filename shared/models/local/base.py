"""The shipped base model, run with onnxruntime on the CPU (no torch at run time).

It maps a frame to dense stride-4 maps: logo-centre peaks, box sizes, and a unit embedding per
cell saying which logo it is; plus a pooled scene vector. Frames are scaled to `input_width`
(640) and padded to a multiple of 32.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from shared.models.threads import model_threads

WEIGHTS = Path(__file__).resolve().parent / "weights"
DEFAULT_BASE = "base-v2"  # base-v1 stays for heads trained on it
STRIDE = 4
INPUT_WIDTH = 640


@dataclass
class Maps:
    peaks: np.ndarray  # (h, w) heat at 3x3 local maxima, 0 elsewhere
    size: np.ndarray  # (2, h, w) log(w/4), log(h/4) in network pixels
    embed: np.ndarray  # (D, h, w) unit vectors
    scene: np.ndarray  # (S,) unit vector
    scale: float  # network pixels per frame pixel
    frame_size: tuple[int, int]  # (width, height)


def prepare(image: np.ndarray, input_width: int = INPUT_WIDTH) -> tuple[np.ndarray, float]:
    """BGR frame -> (1, 3, H, W) float32 at `input_width`, padded with grey to multiples of 32."""
    h, w = image.shape[:2]
    scale = input_width / w
    nh = int(round(h * scale))
    resized = cv2.resize(image, (input_width, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    ph = (nh + 31) // 32 * 32
    padded = np.full((ph, input_width, 3), 128, np.uint8)
    padded[:nh] = resized
    return padded.transpose(2, 0, 1)[None].astype(np.float32), scale


class BaseModel:
    def __init__(self, path: Path, threads: int = 0) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or model_threads(min(4, os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        # Spinning threads burn the cores the decoder and other workers need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.name = path.stem
        meta = path.with_suffix(".json")
        self.figures = json.loads(meta.read_text()) if meta.exists() else {}
        self._lock = threading.Lock()

    def run(self, image: np.ndarray, input_width: int = INPUT_WIDTH) -> Maps:
        tensor, scale = prepare(image, input_width)
        with self._lock:  # one session, several handler threads: ORT parallelises inside a run
            peaks, size, embed, scene = self.session.run(None, {"image": tensor})
        return Maps(peaks[0, 0], size[0], embed[0], scene[0], scale, (image.shape[1], image.shape[0]))


@lru_cache(maxsize=4)
def load_base(name: str = DEFAULT_BASE, threads: int = 0) -> BaseModel:
    path = WEIGHTS / f"{name}.onnx"
    if not path.exists():
        raise FileNotFoundError(f"base model {name} is missing: {path} (run devtools/pretrain/train.py)")
    return BaseModel(path, threads)
