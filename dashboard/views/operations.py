"""Operations: jobs and their stages, queue depths and dead letters (with redrive), workers."""

from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.text import md
from shared.jobs import SUCCEEDED
from shared.presence import WorkerSeen

st.title("Operations")

def _run_time(job: dict, now: datetime) -> str:
    """From the request to its end (to now while it runs): the job's time, not its video's."""
    start = datetime.fromisoformat(job["created_at"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(job["finished_at"].replace("Z", "+00:00")) if job.get("finished_at") else now
    seconds = max(0.0, (end - start).total_seconds())
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min {rest:02d} s"


def _progress(job: dict) -> float:
    stages = [s for s in job["stages"].values() if s["expected"]]
    if job["status"] == SUCCEEDED:
        return 1.0
    if not stages:
        return 0.0
    return sum(min(s["done"], s["expected"]) / s["expected"] for s in stages) / max(len(stages), 3)


@st.fragment(run_every=2)
def job_table() -> None:
    rows = data.jobs()
    if not rows:
        st.info("No jobs yet. Start one on **Analyze a video** or with `brandvis analyze VIDEO`.")
        return
    what = lambda j: (j["request"].get("video") or {}).get("name") or j["request"].get("model", "")  # noqa: E731
    table = pd.DataFrame([{
        "job": j["job_id"], "kind": j["kind"], "status": j["status"], "input": what(j),
        "progress": _progress(j), "created": pd.to_datetime(j["created_at"]), "error": j["error"] or "",
    } for j in rows])
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0, format="percent"),
        "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm:ss"),
        "error": st.column_config.TextColumn("error", width="large",
                                             help="Pick the job below to read its whole error")})


st.subheader("Jobs")
job_table()
ids = [j["job_id"] for j in data.jobs()]
if ids:
    chosen = st.selectbox("Job", ids, key="job_detail")
    detail = data.job(chosen)
    if detail:
        cols = st.columns(3)
        cols[0].metric("Status", detail["status"])
        cols[1].metric("Kind", detail["kind"])
        cols[2].metric("Run time" if detail["finished_at"] else "Running for",
                       _run_time(detail, datetime.now(timezone.utc)),
                       help="From the request to the job's end" if detail["finished_at"] else None)
        stages = [{"stage": name, "done": detail["stages"][s]["done"], "expected": detail["stages"][s]["expected"],
                   "errors": detail["stages"][s]["errors"], "last error": detail["stages"][s]["last_error"] or ""}
                  for s, name in detail["counters"]]
        st.dataframe(pd.DataFrame(stages), hide_index=True, width="stretch",
                     column_config={"last error": st.column_config.TextColumn("last error", width="large")})
        labeling = detail["outputs"].get("labeling")
        if labeling and labeling["labeler"] == "builtin":
            done = data.label_progress(labeling["name"], labeling["frames"])
            per_label = ", ".join(f"{md(k)} {v}" for k, v in sorted(done["per_label"].items())) or "none yet"
            st.progress(done["done"] / max(1, done["total"]),
                        text=f"Labeling: {done['done']} of {done['total']} frames done; examples per label: {per_label}")
            if detail["status"] == "WAITING":
                st.page_link("views/label.py", label="Label the frames", icon=":material/draw:",
                             query_params={"job": detail["job_id"]})
        elif labeling:
            st.info(f"Labeling job {md(labeling['name'])}: {labeling['frames']} frames on SageMaker Ground Truth "
                    "(its console shows the workers' progress).")
        for w in detail["warnings"]:
            st.warning(md(w))
        if detail["error"]:
            st.error(md(detail["error"]))
        if detail["result"]:
            with st.expander("Result"):
                st.json(detail["result"])

st.subheader("Queues")
depths = pd.DataFrame(data.queue_depths())
st.dataframe(depths.rename(columns={"waiting": "waiting", "in_flight": "in flight", "dead": "dead letters"}),
             hide_index=True, width="stretch")
dead_stages = [d["stage"] for d in data.queue_depths() if d["dead"] > 0]
if dead_stages:
    stage = st.selectbox("Dead letters of", dead_stages)
    letters = data.dead_letters(stage)
    st.dataframe(pd.DataFrame([{"job": d["job_id"], "message": d["message_id"], "receives": d["receives"]}
                               for d in letters]), hide_index=True, width="stretch")
    if st.button(f"Redrive {stage}", help="Move these messages back to the queue and reopen their failed jobs"):
        job = data.submit().redrive(stage)
        data.queue_depths.clear()
        data.dead_letters.clear()
        st.success(f"Redrive of {stage} requested (job {job.job_id}): a worker moves the messages back and "
                   "reopens their jobs.")
else:
    st.caption("No dead letters.")

st.subheader("Workers")
now = datetime.now(timezone.utc)
workers = data.workers()
if workers:
    st.dataframe(pd.DataFrame([{
        "worker": w["worker_id"], "host": w["host"], "pid": w["pid"], "stages": ", ".join(w["stages"]),
        "last seen": f"{(now - datetime.fromisoformat(w['last_seen'].replace('Z', '+00:00'))).total_seconds():.0f} s ago",
        "state": WorkerSeen(**w).state(now)} for w in workers]), hide_index=True, width="stretch")
else:
    st.info("No worker has reported yet: `make run` starts them, or `brandvis worker`.")
