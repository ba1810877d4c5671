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

from botocore.exceptions import ClientError

from shared import layout
from shared.aws import Clients
from shared.jobs import FAILED, SUCCEEDED
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

    def job_heads(self, job_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Kind, status, error and whether it detects, of many jobs in a few BatchGetItem calls
        (100 keys each) instead of one read per job."""
        from shared.ddb import from_item

        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(job_ids), 100):
            keys: list[dict[str, Any]] = [self.key(f"job#{j}", "job") for j in dict.fromkeys(job_ids[i:i + 100])]
            request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True,
                                                    "ProjectionExpression": "job_id, kind, #s, #e, request.detect",
                                                    "ExpressionAttributeNames": {"#s": "status", "#e": "error"}}}
            while request:
                resp = self.ddb.batch_get_item(RequestItems=request)
                for item in resp.get("Responses", {}).get(self.table, []):
                    head = from_item(item)
                    found[head["job_id"]] = head
                request = resp.get("UnprocessedKeys") or {}
        return found

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
    campaigns = store(clients)
    members = campaigns.members(name)
    heads = campaigns.job_heads([m.job_id for m in members])
    storage = Storage(clients.s3, clients.names.bucket)

    def read(member: Member) -> CampaignVideo:
        status, reason = _standing(heads.get(member.job_id))
        report = None
        if status == "succeeded":
            try:  # one GET, no HEAD first: 50 videos are 50 requests
                report = storage.get_json(layout.report_key(member.job_id))
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in ("NoSuchKey", "404"):
                    raise
                status, reason = "failed", "the job succeeded but its report is missing"
        return CampaignVideo(job_id=member.job_id, video=member.video, status=status, reason=reason,
                             meta=member.meta, report=report)

    with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
        return list(pool.map(read, members))


def _standing(head: dict[str, Any] | None) -> tuple[Any, str | None]:
    """A member's status and reason from its job record's head."""
    if head is None:
        return "failed", "no such job (its request did not complete)"
    if head.get("kind") != "analyze" or "detect" not in (head.get("request") or {}):
        return "failed", "not an analysis with a model: it has no report"
    if head["status"] == SUCCEEDED:
        return "succeeded", None
    if head["status"] == FAILED:
        return "failed", head.get("error") or "failed (no reason recorded)"
    return "running", head["status"]


def campaign_report(clients: Clients, name: str, *, rate_per_30s: float | None = None,
                    currency: str | None = None, weight_by_prominence: bool = True) -> dict[str, Any]:
    """The campaign report of `name` as it stands now. CampaignError for an unknown campaign."""
    if not store(clients).exists(name):
        known = list_campaigns(clients)
        raise CampaignError(f"no campaign named {name!r}; campaigns: {', '.join(known) or 'none yet'}")
    return build_campaign(name, campaign_videos(clients, name), rate_per_30s=rate_per_30s,
                          currency=currency or clients.config.currency, weight_by_prominence=weight_by_prominence)


__all__ = ["CampaignError", "CampaignStore", "Member", "campaign_report", "campaign_videos", "list_campaigns", "store"]
