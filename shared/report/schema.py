"""`brandvis.report/v1` as a schema: pydantic models that reject any missing, extra or mistyped
field. `validate_report` checks a report; `json_schema()` is the same contract as JSON Schema
(written to docs/report-v1.schema.json for users' scripts)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Fraction01 = Field(ge=0.0, le=1.0)


class VideoV1(_Strict):
    duration_s: float = Field(ge=0)
    width: int = Field(ge=0)
    height: int = Field(ge=0)
    fps: float = Field(ge=0)
    sampled_fps: float | None = Field(default=None, gt=0)


class ModelV1(_Strict):
    name: str
    backend: str
    min_confidence: float = Fraction01


class AppearanceV1(_Strict):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)


class BrandV1(_Strict):
    label: str
    screen_time_s: float = Field(ge=0)
    share_of_screen_time: float = Fraction01
    appearances: list[AppearanceV1]
    first_seen_s: float | None
    last_seen_s: float | None
    mean_confidence: float | None = Field(ge=0.0, le=1.0)
    mean_area_pct: float | None = Field(ge=0.0, le=100.0)


class BoxV1(_Strict):
    left: float
    top: float
    width: float = Field(ge=0)
    height: float = Field(ge=0)


class FrameLabelV1(_Strict):
    label: str
    confidence: float = Fraction01
    box: BoxV1 | None


class FrameV1(_Strict):
    t_s: float = Field(ge=0)
    labels: list[FrameLabelV1]


class ReportV1(_Strict):
    schema_: Literal["brandvis.report/v1"] = Field(alias="schema")
    video: VideoV1
    model: ModelV1
    brands: list[BrandV1]
    frames: list[FrameV1]
    extras: dict[str, Any] = Field(default_factory=dict)


def validate_report(report: dict[str, Any]) -> ReportV1:
    """Raises pydantic.ValidationError naming the first field that breaks the contract."""
    return ReportV1.model_validate(report)


def json_schema() -> dict[str, Any]:
    return ReportV1.model_json_schema(by_alias=True)
