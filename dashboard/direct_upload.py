"""A video upload that goes from the browser straight to the bucket: the dashboard never holds the file.

Streamlit's `st.file_uploader` reads the whole request body into the dashboard's memory (its upload
route keeps the file as bytes until the session drops it). Here a small component (st.components.v2)
asks the page for a presigned POST once a file is chosen (`Submitter.presign_video`: S3 refuses a body
over upload_max_mb by its policy), posts the file itself with progress, and tells the page, which adopts
it (`Submitter.adopt_video`: size checked again, hashed while streaming from the bucket, moved to its
content key). The bucket must accept the dashboard's origin: the local emulator allows any; on AWS the
bucket's CORS rule (infra/terraform) names the dashboard's origin.

Handshake, one rerun per step: chosen {name, size, token} -> data.post for that token -> uploaded {token}.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import data
from shared.messages import VideoRef
from shared.submit import RequestError

MB = 1024 * 1024

UPLOAD_JS = """
export default function ({ data, parentElement, setStateValue }) {
  let box = parentElement.querySelector(".bv-upload");
  if (!box) {
    box = document.createElement("div");
    box.className = "bv-upload";
    box.innerHTML = '<label class="bv-label"><span></span><input type="file" class="bv-input"></label>' +
                    '<div class="bv-status" role="status"></div>';
    parentElement.appendChild(box);
  }
  const input = box.querySelector("input"), status = box.querySelector(".bv-status");
  box.querySelector("label span").textContent = data.label;
  input.accept = data.accept;
  input.title = data.help;
  const all = (window.__brandvisUploads = window.__brandvisUploads || {});
  const mine = (all[data.id] = all[data.id] || {});
  const say = (text) => { mine.status = text; status.textContent = text; };
  status.textContent = mine.status || data.help;
  input.onchange = () => {
    const file = input.files[0];
    if (!file) return;
    Object.assign(mine, { file, token: Math.random().toString(36).slice(2), started: false });
    say(file.size > data.max_bytes ? "" : `Preparing ${file.name}…`);
    setStateValue("chosen", { name: file.name, size: file.size, token: mine.token });
  };
  const post = data.post;
  if (post && mine.file && post.token === mine.token && !mine.started) {
    mine.started = true;
    const file = mine.file, form = new FormData();
    for (const [k, v] of Object.entries(post.fields)) form.append(k, v);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", post.url);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) say(`Uploading ${file.name}: ${Math.floor((100 * e.loaded) / e.total)} %`);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        say(`${file.name} is in the bucket.`);
        setStateValue("uploaded", { token: post.token });
      } else {
        const why = (xhr.responseText.match(/<Message>(.*?)<\\/Message>/) || [])[1] || "";
        say(`The bucket refused ${file.name} (HTTP ${xhr.status}${why ? ": " + why : ""}).`);
      }
    };
    xhr.onerror = () => say(`Could not reach the bucket (${post.url}) from this browser: ` +
                            "set BRANDVIS_UPLOAD_DIRECT=false to upload through the dashboard.");
    xhr.send(form);
  }
}
"""
UPLOAD_CSS = """
.bv-upload { font-family: inherit; font-size: 0.875rem; }
.bv-upload label { display: flex; flex-direction: column; gap: 0.4rem; }
.bv-status { margin-top: 0.4rem; opacity: 0.8; }
"""


@st.cache_resource
def _component() -> Any:
    return st.components.v2.component("brandvis.direct_upload", js=UPLOAD_JS, css=UPLOAD_CSS)


def video_upload(label: str, types: list[str], key: str) -> VideoRef | None:
    """The uploaded video, once it is in the bucket at its content key; None until then."""
    limit = data.upload_limit_mb()
    state: dict[str, Any] = st.session_state.setdefault(f"{key}.direct", {})
    result = _component()(
        key=key, on_chosen_change=lambda: None, on_uploaded_change=lambda: None,
        data={"id": key, "label": label, "accept": ",".join(f".{t}" for t in types), "max_bytes": limit * MB,
              "help": f"Up to {limit:,} MB (BRANDVIS_UPLOAD_MAX_MB), sent straight to the bucket.",
              "post": state.get("post")})
    chosen = result.chosen
    if chosen and chosen.get("token") != state.get("token"):
        state.clear()
        state.update(token=chosen["token"], name=str(chosen["name"]))
        if chosen["size"] > limit * MB:
            state["error"] = (f"{chosen['name']} is {chosen['size'] / MB:,.1f} MB; the dashboard takes up to "
                              f"{limit:,} MB a file (BRANDVIS_UPLOAD_MAX_MB). Analyze it with `brandvis analyze "
                              f"FILE`, which streams it from disk.")
        else:
            try:
                upload = data.submit().presign_video(state["name"])
            except RequestError as exc:
                state["error"] = str(exc)
            else:
                state.update(upload=upload, post={**upload.to_dict(), "token": chosen["token"]})
                st.rerun()  # mount again with the POST for this file
    uploaded = result.uploaded
    if uploaded and uploaded.get("token") == state.get("token") and "upload" in state and "video" not in state:
        try:
            with st.spinner(f"Checking {state['name']}…"):
                state["video"] = data.submit().adopt_video(state["upload"], state["name"])
        except RequestError as exc:
            state["error"] = str(exc)
        state.pop("post", None)
    if state.get("error"):
        st.error(state["error"])
    elif "video" in state:
        st.success(f"{state['name']} is uploaded: ready to analyze.")
    return state.get("video")
