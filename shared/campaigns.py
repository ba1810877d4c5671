"""Campaigns: named sets of analysis jobs, reported together (`brandvis.campaign/v1`).

Items in the one table (shared/table.py):
- `campaign#<name>`, `campaign`          the campaign (GSI `by-kind`, gsi1pk "campaign": list them)
- `campaign#<name>`, `member#<job id>`   one analysed video: its job, file name and meta

Membership is written by the request that creates the job (`Submitter.analyze(campaign=...)`);
writing it twice writes the same item, and a video analysed later just adds a member. The
report is built on reading, from the members' job records and their stored v1 reports, so it is
never stale. Names are checked (shared/report/campaign.py) before they key anything; no S3 key
is ever made from one.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared import layout
from shared.aws import Clients
from shared.jobs import FAILED, SUCCEEDED, Job
from shared.report.campaign import CampaignError, CampaignVideo, build_campaign, check_name, clean_meta
from shared.storage import Storage
from shared.table import Table, now_iso

#: Reports read at once (S3 GETs in flight) when a campaign is built.
READ_CONCURRENCY = 8


@dataclass(frozen=True)
class Member:
    job_id: str
    video: str
    meta: dict[str, str]
    added_at: str


class CampaignStore(Table):
    def add_member(self, name: str, job_id: str, video: str, meta: dict[str, str] | None = None) -> Member:
        """Record that `job_id` (analysing `video`) belongs to campaign `name`; the campaign is made
        on its first member. Idempotent: the same call again leaves one member."""
        check_name(name)
        meta = clean_meta(meta)
        at = now_iso()
        self.put_new({"pk": f"campaign#{name}", "sk": "campaign", "gsi1pk": "campaign", "gsi1sk": f"{at}#{name}",
                      "name": name, "created_at": at})
        self.update(f"campaign#{name}", f"member#{job_id}",
                    "SET job_id = :j, video = :v, meta = :m, added_at = if_not_exists(added_at, :at)",
                    {":j": job_id, ":v": video, ":m": meta, ":at": at})
        return Member(job_id, video, meta, at)

    def remove_member(self, name: str, job_id: str) -> None:
        self.ddb.delete_item(TableName=self.table, Key=self.key(f"campaign#{check_name(name)}", f"member#{job_id}"))

    def exists(self, name: str) -> bool:
        return self.get(f"campaign#{check_name(name)}", "campaign") is not None

    def members(self, name: str) -> list[Member]:
        """In the order they were added (then by job id, which sorts by creation time)."""
        items = self.query_prefix(f"campaign#{check_name(name)}", "member#")
        found = [Member(i["job_id"], i["video"], dict(i.get("meta") or {}), i["added_at"]) for i in items]
        return sorted(found, key=lambda m: (m.added_at, m.job_id))

    def names(self) -> list[str]:
        """Every campaign, newest first."""
        return [item["name"] for item in self.query_kind("campaign")]


def store(clients: Clients) -> CampaignStore:
    return CampaignStore(clients.dynamodb, clients.names.jobs_table)


def list_campaigns(clients: Clients) -> list[str]:
    """Campaign names, newest first."""
    return store(clients).names()


def campaign_videos(clients: Clients, name: str) -> list[CampaignVideo]:
    """Each member with where its job stands and, once it succeeded, its stored v1 report."""
    members = store(clients).members(name)
    table = Table(clients.dynamodb, clients.names.jobs_table)
    storage = Storage(clients.s3, clients.names.bucket)

    def read(member: Member) -> CampaignVideo:
        head = table.get(f"job#{member.job_id}", "job")
        job = Job.from_item(head) if head else None
        status, reason, report = _standing(job)
        if status == "succeeded":
            key = layout.report_key(member.job_id)
            if storage.exists(key):
                report = storage.get_json(key)
            else:
                status, reason = "failed", "the job succeeded but its report is missing"
        return CampaignVideo(job_id=member.job_id, video=member.video, status=status, reason=reason,
                             meta=member.meta, report=report)

    with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
        return list(pool.map(read, members))


def _standing(job: Job | None) -> tuple[Any, str | None, None]:
    if job is None:
        return "failed", "no such job (its request did not complete)", None
    if job.kind != "analyze" or "detect" not in job.request:
        return "failed", "not an analysis with a model: it has no report", None
    if job.status == SUCCEEDED:
        return "succeeded", None, None
    if job.status == FAILED:
        return "failed", job.error or "failed (no reason recorded)", None
    return "running", job.status, None


def campaign_report(clients: Clients, name: str, *, rate_per_30s: float | None = None,
                    currency: str | None = None, weight_by_prominence: bool = True) -> dict[str, Any]:
    """The campaign report of `name` as it stands now. CampaignError for an unknown campaign."""
    if not store(clients).exists(name):
        known = list_campaigns(clients)
        raise CampaignError(f"no campaign named {name!r}; campaigns: {', '.join(known) or 'none yet'}")
    return build_campaign(name, campaign_videos(clients, name), rate_per_30s=rate_per_30s,
                          currency=currency or clients.config.currency, weight_by_prominence=weight_by_prominence)


__all__ = ["CampaignError", "CampaignStore", "Member", "campaign_report", "campaign_videos", "list_campaigns", "store"]
