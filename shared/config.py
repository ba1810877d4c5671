"""All settings in one place: `BRANDVIS_*` environment variables over an optional TOML file.

Local mode (the default) talks to the embedded stack on 127.0.0.1; `BRANDVIS_MODE=aws` talks to
real AWS with the usual boto3 credential chain and no endpoint override.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shared.names import Names

ENV_PREFIX = "BRANDVIS_"


class ConfigError(ValueError):
    """A setting has a value brandvis cannot use; the message names the setting."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "brandvis"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "brandvis"


@dataclass(frozen=True)
class Config:
    mode: Literal["local", "aws"] = "local"
    region: str = "us-east-1"
    prefix: str = "brandvis"
    bucket: str = ""  # empty: "<prefix>-data" locally; on AWS terraform's output must be given
    # Embedded stack (local mode only).
    stack_host: str = "127.0.0.1"
    stack_port: int = 4599
    endpoint_url: str = ""  # empty: http://stack_host:stack_port in local mode, AWS's own on aws
    data_dir: Path = field(default_factory=_default_data_dir)
    snapshot_interval_s: float = 0.2
    write_ahead_log: bool = True  # log each S3/DynamoDB write to disk before answering (a kill -9 loses none)
    # Workers.
    cache_dir: Path = field(default_factory=_default_cache_dir)
    cache_max_gb: float = 20.0
    visibility_timeout_s: int = 0  # 0: each stage's own; the heartbeat extends it while work runs
    retry_backoff_s: float = 5.0
    poll_wait_s: int = 10
    duplicate_sends: bool = False  # debugging at-least-once: every message is put on its queue twice (bench/chaos.py
    # --duplicates); results must not change. Never in production: it doubles the work
    segment_seconds: float = 30.0
    seam_frames: int = 3  # an analysis's segment also samples this many of the next one's first frames, so
    # that following a mark and its track cross the seam (docs/models.md); 0: segments see only their own
    decode_threads: int = 0  # 0: FFmpeg's choice (all cores); 1 when several workers share a machine
    model_threads: int = 0  # 0: each model's own choice (2-4 cores); 1 when several workers share a machine
    jpeg_quality: int = 92
    # What a user's file may claim, checked from its header before anything is decoded (a few KB of
    # PNG can claim 30000x30000: 2.7 GB decoded). 100 MP is a large camera's still; DCI 8K video is 35 MP.
    max_image_pixels: int = 100_000_000
    max_video_pixels: int = 8192 * 4320
    # Models.
    min_inference_units: int = 1  # Rekognition units a started model runs (and bills) with
    model_idle_stop_s: float = 900.0  # a running Rekognition model with no detect work this long is stopped
    detect_concurrency: int = 4  # DetectCustomLabels calls in flight per detect message (Rekognition)
    detect_text_usd_per_1000: float = 1.0  # DetectText list price (Group 2 image API, first 1M a month, us-east-1)
    appearance_gap_s: float = 1.0  # detections closer than this are one appearance in reports
    detection_floor: float = 0.2  # detect keeps detections down to min(this, the job's threshold); reports apply
    # the threshold, so a finished job can be re-reported at any threshold from this floor up
    identity_tracks: bool = True  # local models: carry a mark's reading along its track, and follow a found mark
    # onto the neighbouring frames that lost it (docs/models.md)
    text_weighing: bool = True  # local models: a reading that names no word still moves each brand's score by
    # how cheaply the crop spells its word or a piece of it (docs/models.md)
    # Buckets a manifest's s3:// source-refs may name, beside the project's own (comma-separated); the
    # dashboard and the workers read no other (a request could otherwise make them read any object
    # their role can).
    image_buckets: str = ""
    # Labeling.
    labeler: str = "builtin"  # builtin (the dashboard's Label page, no bill) | groundtruth (SageMaker Ground Truth)
    labeling_max_frames: int = 1200  # per video, as the AWS sample thins them (Ground Truth's limit is 2,000)
    groundtruth_workteam_arn: str = ""  # a private or vendor work team (video-frame tasks take no public one)
    groundtruth_role_arn: str = ""  # the role Ground Truth assumes to read frames and write labels
    groundtruth_task_seconds: int = 10800  # time a worker has per task (the sample's 3 h)
    groundtruth_available_seconds: int = 259200  # how long a task waits for a worker (the sample's 3 days)
    # Dashboard.
    dashboard_address: str = "127.0.0.1"
    dashboard_port: int = 8501
    # The largest file one dashboard upload may be, in MB. Streamlit holds each uploaded file whole in the
    # dashboard's memory (its upload route reads the body into bytes) until the page copies it to the bucket
    # in 8 MB parts, so this bounds the dashboard's memory per upload. The CLI streams from disk, unbounded.
    upload_max_mb: int = 2048
    # Analyze's videos and Train's videos and images go from the browser straight to the bucket (a presigned
    # POST per file, at most 5 GB): the browser must reach the bucket's endpoint (locally the stack's,
    # 127.0.0.1). false: through the dashboard, as above (as Train's manifest always does).
    upload_direct: bool = True
    currency: str = "USD"  # ISO 4217 code the media value is priced in (the page can switch it)
    log_level: str = "INFO"
    # How long a message may wait for something outside (RetryLater) before its job fails.
    model_start_max_wait_s: int = 3600  # a model that never reaches RUNNING (start-model, detect)
    training_max_wait_s: int = 259200  # a Rekognition training that never ends (3 days)
    log_format: str = "text"  # text (a terminal) | json (one object a line, for CloudWatch Logs Insights)

    @property
    def is_local(self) -> bool:
        return self.mode == "local"

    @property
    def endpoint(self) -> str | None:
        """The URL boto3 clients use; None means AWS's own endpoints."""
        if self.endpoint_url:
            return self.endpoint_url
        if self.is_local:
            return f"http://{self.stack_host}:{self.stack_port}"
        return None

    @property
    def names(self) -> Names:
        if not self.is_local and not self.bucket:
            raise ConfigError("BRANDVIS_BUCKET is required with BRANDVIS_MODE=aws (terraform prints it)")
        return Names(prefix=self.prefix, bucket_override=self.bucket)

    @property
    def allowed_buckets(self) -> tuple[str, ...]:
        """The buckets training images may come from: the project's, then BRANDVIS_IMAGE_BUCKETS."""
        extra = [b.strip() for b in self.image_buckets.split(",") if b.strip()]
        return tuple(dict.fromkeys([self.names.bucket, *extra]))

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    @classmethod
    def load(cls, env: dict[str, str] | None = None, path: Path | None = None) -> Config:
        """File values first, then `BRANDVIS_<FIELD>` environment variables on top."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        path = path or _config_path(env)
        if path is not None:
            try:
                values.update(tomllib.loads(path.read_text()))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = raw
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s) in {path}: {', '.join(sorted(unknown))}")
        return cls(**{name: _coerce(cls, name, value) for name, value in values.items()})


def _config_path(env: dict[str, str]) -> Path | None:
    explicit = env.get(ENV_PREFIX + "CONFIG")
    if explicit:
        return Path(explicit)
    for candidate in (Path("brandvis.toml"), Path.home() / ".config" / "brandvis" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def _coerce(cls: type[Config], name: str, value: Any) -> Any:
    default = next(f for f in dataclasses.fields(cls) if f.name == name)
    kind = default.type if isinstance(default.type, str) else getattr(default.type, "__name__", "")
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            value = float(value)  # then checked below, where a setting has a range
        if kind == "Path":
            return Path(value).expanduser()
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}={value!r} is not a valid {kind}") from exc
    if name == "currency" and not (len(str(value)) == 3 and str(value).isalpha() and str(value).isupper()):
        raise ConfigError(f"{ENV_PREFIX}CURRENCY must be a three-letter ISO 4217 code such as USD, not {value!r}")
    if name == "log_format" and value not in ("text", "json"):
        raise ConfigError(f"{ENV_PREFIX}LOG_FORMAT must be 'text' or 'json', not {value!r}")
    if name == "stack_host" and not _loopback(str(value)):
        raise ConfigError(f"{ENV_PREFIX}STACK_HOST={value!r}: the local stack has no sign-in, so it listens on this "
                          "machine only (127.0.0.1, ::1 or localhost)")
    if name == "detection_floor" and not 0.0 <= value <= 1.0:
        raise ConfigError(f"{ENV_PREFIX}DETECTION_FLOOR must be a confidence between 0 and 1, not {value!r}")
    if name == "mode" and value not in ("local", "aws"):
        raise ConfigError(f"{ENV_PREFIX}MODE must be 'local' or 'aws', not {value!r}")
    return value


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
