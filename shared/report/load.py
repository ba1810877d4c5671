"""Reading a job's report back (CLI, dashboard): one place that knows where it lives."""

from __future__ import annotations

from typing import Any

from shared import layout
from shared.storage import Storage


def load_report(storage: Storage, job_id: str) -> dict[str, Any]:
    return storage.get_json(layout.report_key(job_id))
