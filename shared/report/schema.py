"""`brandvis.report/v1` as a schema: pydantic models that reject any missing, extra or mistyped
field. `validate_report` checks a report; `json_schema()` is the same contract as JSON Schema
(written to docs/report-v1.schema.json for users' scripts). Fields added after the first v1
reports have defaults, so those reports stay valid."""

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


class LabelEvaluationV1(_Strict):
    precision: float | None = Field(ge=0.0, le=1.0, description="null: nothing detected on the held-out images")
    recall: float | None = Field(ge=0.0, le=1.0, description="null: no held-out example of the label")
    f1: float | None = Field(ge=0.0, le=1.0, description="null: no held-out example of the label")
    examples: int | None = Field(ge=0, description="held-out images with the label (tp + fn); 0: unverified")
    tp: int | None = Field(ge=0)
    fp: int | None = Field(ge=0)
    fn: int | None = Field(ge=0)


class EvaluationV1(_Strict):
    """The model version's evaluation on held-out images (presence per image and label)."""

    f1: float = Fraction01
    precision: float = Fraction01
    recall: float = Fraction01
    threshold: float = Field(ge=0.0, le=1.0, description="confidence the figures were taken at")
    test_images: int = Field(ge=0)
    weak_below_f1: float = Field(ge=0.0, le=1.0, description="an F1 below this is reported as weak")
    per_label: dict[str, LabelEvaluationV1]


class ModelV1(_Strict):
    name: str
    backend: str
    min_confidence: float = Fraction01
    version: int | None = None
    evaluation: EvaluationV1 | None = Field(default=None, description="null: the version has no held-out evaluation")
    warnings: list[str] = Field(default_factory=list, description="what to know before quoting the figures")


class UncertaintyV1(_Strict):
    """How sure a brand's screen time is (method: docs/report.md)."""

    estimate_s: float | None = Field(ge=0, description="screen time x held-out precision / recall")
    low_s: float | None = Field(ge=0, description="95 % range of the true screen time; null: unverified")
    high_s: float | None = Field(ge=0, description="95 % range of the true screen time; null: unverified")
    near_threshold_s: float = Field(ge=0, description="seconds on frames with confidence < min_confidence + 0.1")


class AppearanceV1(_Strict):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)


class BrandV1(_Strict):
    label: str
    screen_time_s: float = Field(ge=0)
    share_of_screen_time: float = Fraction01
    appearances: list[AppearanceV1]
    first_seen_s: float | None = Field(description="start of the first appearance (interval rule); older "
                                                   "v1 reports hold the first sample time")
    last_seen_s: float | None = Field(description="end of the last appearance (interval rule); older "
                                                  "v1 reports hold the last sample time")
    mean_confidence: float | None = Field(ge=0.0, le=1.0)
    mean_area_pct: float | None = Field(ge=0.0, le=100.0)
    uncertainty: UncertaintyV1 | None = None


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
