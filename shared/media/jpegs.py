"""A segment's stored JPEG frames as a sequence of images, decoded when used.

Detection reads a segment's frames in order, then looks back at a few (a mark followed onto the
frame that lost it). Keeping every decoded frame would cost 166 MB for 60 frames at 720p and
373 MB at 1080p; keeping their JPEG bytes costs a tenth of that, and a look back decodes one
frame again (2-3 ms at 720p). Iterating fetches and decodes a few frames ahead on threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator, Sequence, overload

import cv2
import numpy as np

AHEAD = 8


class JpegFrames(Sequence[np.ndarray]):
    """`fetch(name)` gives a frame's JPEG bytes (once per frame: they are kept); a frame that is not
    a readable JPEG is whatever `unreadable(name)` returns (or raises)."""

    def __init__(self, names: Sequence[str], fetch: Callable[[str], bytes],
                 unreadable: Callable[[str], np.ndarray], ahead: int = AHEAD) -> None:
        self.names = list(names)
        self.fetch = fetch
        self.unreadable = unreadable
        self.ahead = ahead
        self._bytes: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.names)

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...

    @overload
    def __getitem__(self, index: slice) -> list[np.ndarray]: ...

    def __getitem__(self, index: int | slice) -> np.ndarray | list[np.ndarray]:
        if isinstance(index, slice):
            return [self._decoded(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(f"frame {index} of {len(self)}")
        return self._decoded(index % len(self))

    def __iter__(self) -> Iterator[np.ndarray]:
        with ThreadPoolExecutor(max_workers=4) as pool:
            pending = [pool.submit(self._decoded, i) for i in range(min(self.ahead, len(self)))]
            for i in range(len(self)):
                image = pending.pop(0).result()
                if i + self.ahead < len(self):
                    pending.append(pool.submit(self._decoded, i + self.ahead))
                yield image

    def _decoded(self, i: int) -> np.ndarray:
        with self._lock:
            data = self._bytes.get(i)
        if data is None:
            data = self.fetch(self.names[i])
            with self._lock:
                self._bytes[i] = data
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        return image if image is not None else self.unreadable(self.names[i])
