"""Hand-made campaigns: v1 reports of made-up videos (detections drawn at random, the report built
by the real rules), the members a campaign is built from, and stored analyses carrying them, for
the Campaign page's tests and its README picture. Nothing here is committed data."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from shared.detections import Detections
from shared.report.build import build_report

W, H = 1280, 720
BRANDS = ["Acme", "Borealis", "Corvid", "Dynamo", "Eclipse"]


def video_report(seed: int, seconds: float = 60.0, fps: float = 1.0, brands: list[str] = BRANDS,
                 weights: list[float] | None = None) -> dict[str, Any]:
    """A v1 report of a made-up video: each brand comes and goes in runs of a few seconds."""
    rng = random.Random(seed)
    weights = weights or [rng.uniform(0.05, 0.5) for _ in brands]
    on = {b: False for b in brands}
    frames = []
    for i in range(int(seconds * fps)):
        rows, scores, labels = [], [], []
        for b, w in zip(brands, weights):
            on[b] = rng.random() < (0.8 if on[b] else w / 3)
            if on[b]:
                x, y, bw = rng.uniform(0.05, 0.7), rng.uniform(0.05, 0.8), rng.uniform(0.05, 0.25)
                rows.append([x * W, y * H, (x + bw) * W, (y + bw / 2) * H])
                scores.append(rng.uniform(0.55, 0.99))
                labels.append(b)
        frames.append(((i + 0.5) / fps, Detections(np.array(rows).reshape(-1, 4), scores, labels, (W, H))))
    return build_report(frames, duration_s=seconds, width=W, height=H, fps=25.0, sampled_fps=fps,
                        model={"name": "logos", "backend": "local", "version": 1}, min_confidence=0.5,
                        labels=brands, gap_s=1.0)


def stored_member(clients: Any, campaign: str, job_id: str, video: str, meta: dict[str, str] | None = None,
                  report: dict[str, Any] | None = None, error: str | None = None) -> str:
    """One campaign video as the request and the workers would have left it: the analysis job
    (SUCCEEDED with `report` stored, FAILED with `error`, else still QUEUED) and its membership."""
    from shared import layout
    from shared.campaigns import store as campaign_store
    from shared.jobs import JobStore
    from shared.messages import Sampling
    from shared.storage import Storage

    jobs = JobStore(clients.dynamodb, clients.names.jobs_table)
    jobs.create_job(job_id, "analyze", {
        "video": {"video_id": job_id[-6:] * 3, "key": f"uploads/{video}", "name": video},
        "sampling": Sampling.at_fps(1).model_dump(), "segment_seconds": 30, "gap_s": 1.0, "campaign": campaign,
        "detect": {"model": {"name": "logos", "model_version": 1, "backend": "local"}, "min_confidence": 0.5}},
        first_stage="probe")
    if report is not None:
        Storage(clients.s3, clients.names.bucket).put_json(layout.report_key(job_id), report)
        jobs.succeed_job(job_id, {"report": layout.report_key(job_id)})
    elif error is not None:
        jobs.fail_job(job_id, error)
    campaign_store(clients).add_member(campaign, job_id, video, meta or {})
    return job_id


#: A season of a made-up league: (date, home v away, event, channel, audience); brands differ in how
#: much each club's boards and shirts show them.
SEASON = [("2026-03-07", "Harbour City v Northfield", "League", "SportOne", "1.2M"),
          ("2026-03-21", "Northfield v Eastport", "League", "SportOne", "0.9M"),
          ("2026-04-04", "Eastport v Harbour City", "League", "StreamPlay", "0.6M"),
          ("2026-04-18", "Harbour City v Westvale", "Cup", "SportOne", "1.6M"),
          ("2026-05-02", "Westvale v Northfield", "League", "StreamPlay", "0.7M"),
          ("2026-05-16", "Harbour City v Eastport", "League", "SportOne", "1.1M"),
          ("2026-05-30", "Northfield v Harbour City", "Cup final", "SportOne", "2.4M")]


def season_campaign(clients: Any, campaign: str = "Season 2026", seconds: float = 300.0) -> list[str]:
    """A realistic campaign (the README picture's): seven dated match highlights with five
    brands, one more video without a date, one whose analysis failed; returns the job ids."""
    ids = []
    for n, (day, match, event, channel, audience) in enumerate(SEASON):
        weights = [0.45 - 0.02 * n, 0.2 + 0.03 * n, 0.25, 0.12 + (0.2 if event != "League" else 0), 0.06]
        file = match.lower().replace(" v ", "-v-").replace(" ", "-") + ".mp4"
        ids.append(stored_member(clients, campaign, f"2026{day[5:7]}{day[8:]}-200000-m{n:05d}", file,
                                 {"date": day, "event": event, "channel": channel, "audience": audience},
                                 video_report(100 + n, seconds=seconds, weights=weights)))
    ids.append(stored_member(clients, campaign, "20260601-200000-m00007", "season-montage.mp4",
                             {"event": "Promo", "channel": "Social"}, video_report(200, seconds=seconds / 3)))
    ids.append(stored_member(clients, campaign, "20260601-200000-m00008", "westvale-v-eastport.mp4",
                             {"date": "2026-04-25", "event": "League", "channel": "StreamPlay"},
                             error="probe: westvale-v-eastport.mp4 has no video stream (an audio-only file?)"))
    return ids
