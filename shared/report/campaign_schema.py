"""`brandvis.campaign/v1` as a schema, the way shared/report/schema.py does report v1: pydantic
models that reject any missing, extra or mistyped field; `json_schema()` is written to
docs/campaign-v1.schema.json for users' scripts (a test keeps the two equal)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Seconds = Field(ge=0)


class VideoPickV1(_Strict):
    job_id: str
    video: str
    screen_time_s: float = Seconds


class MetaV1(_Strict):
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
    event: str | None = None
    channel: str | None = None
    audience: str | None = None


class TotalsV1(_Strict):
    videos: int = Field(ge=0, description="videos whose analysis succeeded: the only ones in any total")
    videos_failed: int = Field(ge=0, description="listed in videos with their reason, left out of totals")
    videos_pending: int = Field(ge=0, description="still running: listed, left out of totals")
    videos_without_date: int = Field(ge=0, description="included videos with no meta.date: not in over_time")
    duration_s: float = Seconds
    screen_time_s: float = Seconds
    exposures: int = Field(ge=0)
    prominence_weighted_s: float = Seconds
    media_value: float | None = Field(ge=0, description="null: no rate was given")


class BrandV1(_Strict):
    brand: str
    screen_time_s: float = Seconds
    share_of_voice: float = Field(ge=0.0, le=1.0, description="this brand's seconds / all brands' seconds")
    exposures: int = Field(ge=0, description="appearances, over all included videos")
    prominence_weighted_s: float = Seconds
    media_value: float | None = Field(ge=0, description="null: no rate was given")
    videos: int = Field(ge=0, description="included videos where the brand was on screen")
    best_video: VideoPickV1 | None = Field(description="null: never on screen")
    worst_video: VideoPickV1 | None


class VideoV1(_Strict):
    job_id: str
    video: str
    status: Literal["succeeded", "failed", "running"]
    reason: str | None
    meta: MetaV1
    duration_s: float | None = Field(ge=0, description="null: not included (failed or running)")
    screen_time_s: float | None = Field(ge=0, description="null: not included (failed or running)")
    model: str | None = Field(default=None, description="model name and version the video was analysed with")


class PerVideoV1(_Strict):
    job_id: str
    video: str
    brand: str
    screen_time_s: float = Seconds
    share_of_voice: float = Field(ge=0.0, le=1.0, description="the video's own v1 share_of_screen_time")
    exposures: int = Field(ge=0)
    prominence_weighted_s: float = Seconds
    media_value: float | None = Field(ge=0)


class OverTimeV1(_Strict):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    brand: str
    screen_time_s: float = Seconds


class CampaignV1(_Strict):
    schema_: Literal["brandvis.campaign/v1"] = Field(alias="schema")
    campaign: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    rate_per_30s: float | None = Field(ge=0, description="null: no media value")
    media_value_basis: Literal["prominence_weighted_s", "screen_time_s"] = "prominence_weighted_s"
    generated_at: str
    totals: TotalsV1
    brands: list[BrandV1]
    videos: list[VideoV1]
    per_video: list[PerVideoV1]
    over_time: list[OverTimeV1]


def validate_campaign(report: dict[str, Any]) -> CampaignV1:
    """Raises pydantic.ValidationError naming the first field that breaks the contract."""
    return CampaignV1.model_validate(report)


def json_schema() -> dict[str, Any]:
    return CampaignV1.model_json_schema(by_alias=True)
