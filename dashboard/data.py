"""Cached clients and loaders: the only place the dashboard reads AWS state.

`cache_resource` holds the clients (shared, thread-safe); `cache_data` holds plain results with a
short TTL so pages stay live without hammering the stack. The dashboard writes nothing but job
requests.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import streamlit as st

from shared.aws import Clients, make_clients
from shared.config import Config
from shared.jobs import JobStore
from shared.requests import Requests
from shared.stack.server import health


@st.cache_resource
def config() -> Config:
    return Config.load()


@st.cache_resource
def clients() -> Clients:
    return make_clients(config())


def stack_problem() -> str | None:
    """Why the dashboard cannot reach its stack, or None when it can."""
    c = config()
    if c.is_local and not (health(c.endpoint or "") or {}).get("ready"):
        return f"No local stack answers at {c.endpoint}. Start everything with `make run`."
    return None


def store() -> JobStore:
    c = clients()
    return JobStore(c.dynamodb, c.names.jobs_table)


def requests() -> Requests:
    return Requests(clients())


@st.cache_data(ttl=2, show_spinner=False)
def jobs(limit: int = 100) -> list[dict[str, Any]]:
    return [asdict(j) for j in store().list_jobs(limit=limit)]


@st.cache_data(ttl=2, show_spinner=False)
def job(job_id: str) -> dict[str, Any] | None:
    j = store().get_job(job_id)
    return asdict(j) if j else None


@st.cache_data(ttl=5, show_spinner=False)
def trained_models() -> dict[str, int]:
    """Model name -> its newest trained version."""
    from shared.models.backend import TRAINING_COMPLETED
    from shared.models.store import ModelStore

    c = clients()
    newest: dict[str, int] = {}
    for mv in ModelStore(c.dynamodb, c.names.jobs_table).list_all():
        if mv.status == TRAINING_COMPLETED:
            newest[mv.name] = max(newest.get(mv.name, 0), mv.version)
    return dict(sorted(newest.items()))
