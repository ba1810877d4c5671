"""What the media code plans with: which frames a job wants, and runs of whole GOPs.

Plain pydantic values with no knowledge of queues or jobs; the stage messages carry them.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

#: The lowest sampling rate an analysis accepts: one frame every 5 s.
MIN_FPS = Fraction(1, 5)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Sampling(_Frozen):
    """Which frames a job wants: every keyframe (training, quick look) or N per second."""

    mode: Literal["keyframes", "fps"]
    fps: str | None = None  # exact rational as text ("2", "1/3"), so sample times are exact

    @field_validator("fps")
    @classmethod
    def _positive(cls, value: str | None) -> str | None:
        if value is not None and Fraction(value) <= 0:
            raise ValueError("fps must be positive")
        return value

    @property
    def rate(self) -> Fraction:
        if self.fps is None:
            raise ValueError("keyframe sampling has no rate")
        return Fraction(self.fps)

    @property
    def slug(self) -> str:
        """Folder name for this sampling's outputs: `keyframes`, `fps-2`, `fps-1_3`."""
        return "keyframes" if self.mode == "keyframes" else f"fps-{self.fps}".replace("/", "_")

    @classmethod
    def every_keyframe(cls) -> Sampling:
        return cls(mode="keyframes")

    @classmethod
    def at_fps(cls, fps: float | str | Fraction) -> Sampling:
        rate = Fraction(str(fps)).limit_denominator(1000)
        return cls(mode="fps", fps=str(rate))


class Keyframe(_Frozen):
    pts: int
    index: int  # display-order frame number


class Segment(_Frozen):
    """A run of whole GOPs: decoding starts at its first keyframe and needs nothing before it."""

    index: int
    start_pts: int
    end_pts: int | None  # None: to the end of the decodable video
    keyframes: list[Keyframe]

    @property
    def first_frame(self) -> int:
        return self.keyframes[0].index
