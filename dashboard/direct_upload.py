"""Files uploaded from the browser straight to the bucket (Analyze's videos, `video_uploads`; the Train
page's videos and images to label, and a manifest's images, `media_uploads`): the dashboard never holds
a file.

Streamlit's `st.file_uploader` reads the whole request body into the dashboard's memory (its upload
route keeps the file as bytes until the session drops it). Here a small component (st.components.v2)
takes one or several files (`<input type=file multiple>`), asks the page for a presigned POST per file
(`Submitter.presign_video`: S3 refuses a body over upload_max_mb by its policy), posts the files itself,
two at a time, with progress per file, and tells the page as each lands, which adopts it
(`Submitter.adopt_video` / `adopt_media`: size checked again, hashed while streaming from the bucket,
moved to its content key). A file over the limit is refused by name, with its size and the setting,
before anything is sent. The bucket must accept the dashboard's origin: the local emulator allows any;
on AWS the bucket's CORS rule (infra/terraform) names the dashboard's origin.

Handshake, one rerun per step: chosen [{name, size, token}, ...] (the names are known at once: the
page can show a row per file while they go up) -> data.posts, one per file under the limit -> uploaded
[token, ...], growing as files land; the page adopts each new token once (failed {token: why}: a
file the browser could not send, which the page then waits for no longer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard import data
from dashboard.text import md
from shared.submit import RequestError, Submitter
from shared.uploads import DirectUpload

MB = 1024 * 1024
#: Files in flight at once from one browser.
PARALLEL = 2

UPLOAD_JS = """
export default function ({ data, parentElement, setStateValue }) {
  let box = parentElement.querySelector(".bv-upload");
  if (!box) {
    box = document.createElement("div");
    box.className = "bv-upload";
    box.innerHTML = '<label class="bv-label"><span></span><input type="file" class="bv-input"></label>' +
                    '<ul class="bv-status" role="status"></ul>';
    parentElement.appendChild(box);
  }
  const input = box.querySelector("input");
  box.querySelector("label span").textContent = data.label;
  input.accept = data.accept;
  input.multiple = !!data.multiple;
  input.title = data.help;
  const all = (window.__brandvisUploads = window.__brandvisUploads || {});
  const mine = (all[data.id] = all[data.id] || { files: {}, order: [], lines: {}, started: {}, done: [],
                                                 failed: {}, queue: [], active: 0, xhrs: [] });
  mine.status = box.querySelector(".bv-status");  // the mounted list: callbacks of older mounts write here
  const render = () => {
    const lines = mine.order.length ? mine.order.map((t) => mine.lines[t]) : [data.help];
    mine.status.replaceChildren(...lines.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
  };
  const say = (token, text) => { mine.lines[token] = text; render(); };
  const fail = (token, text) => {  // the page is told too: it waits for no file that will not come
    say(token, text);
    mine.failed[token] = text;
    setStateValue("failed", { ...mine.failed });
  };
  render();
  input.onchange = () => {
    const files = [...input.files];
    if (!files.length) return;
    for (const xhr of mine.xhrs) xhr.abort();
    const batch = Math.random().toString(36).slice(2);
    Object.assign(mine, { batch, files: {}, order: [], lines: {}, started: {}, done: [], failed: {}, queue: [],
                          active: 0, xhrs: [] });
    const chosen = files.map((file, n) => {
      const token = `${batch}-${n}`;
      mine.files[token] = file;
      mine.order.push(token);
      mine.lines[token] = file.size > data.max_bytes ? `${file.name}: too large` : `${file.name}: waiting`;
      return { name: file.name, size: file.size, token };
    });
    render();
    setStateValue("chosen", chosen);
  };
  const start = (post) => {
    const batch = mine.batch, file = mine.files[post.token], form = new FormData();
    for (const [k, v] of Object.entries(post.fields)) form.append(k, v);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    mine.xhrs.push(xhr);
    mine.active += 1;
    const finished = () => { if (batch === mine.batch) { mine.active -= 1; pump(); } };
    xhr.open("POST", post.url);
    xhr.upload.onprogress = (e) => {
      if (batch === mine.batch && e.lengthComputable)
        say(post.token, `Uploading ${file.name}: ${Math.floor((100 * e.loaded) / e.total)} %`);
    };
    xhr.onload = () => {
      if (batch !== mine.batch) return;
      if (xhr.status >= 200 && xhr.status < 300) {
        say(post.token, `${file.name} is in the bucket.`);
        mine.done.push(post.token);
        setStateValue("uploaded", [...mine.done]);
      } else {
        const why = (xhr.responseText.match(/<Message>(.*?)<\\/Message>/) || [])[1] || "";
        fail(post.token, `The bucket refused ${file.name} (HTTP ${xhr.status}${why ? ": " + why : ""}).`);
      }
      finished();
    };
    xhr.onerror = () => {
      if (batch !== mine.batch) return;
      fail(post.token, `Could not reach the bucket (${post.url}) from this browser: ` +
                      "set BRANDVIS_UPLOAD_DIRECT=false to upload through the dashboard.");
      finished();
    };
    say(post.token, `Uploading ${file.name}: 0 %`);
    xhr.send(form);
  };
  const pump = () => {
    while (mine.active < data.parallel && mine.queue.length) start(mine.queue.shift());
  };
  for (const post of data.posts || []) {
    if (mine.files[post.token] && !mine.started[post.token]) {
      mine.started[post.token] = true;
      mine.queue.push(post);
    }
  }
  pump();
}
"""
UPLOAD_CSS = """
.bv-upload { font-family: inherit; font-size: 0.875rem; }
.bv-upload label { display: flex; flex-direction: column; gap: 0.4rem; }
.bv-status { margin: 0.4rem 0 0; padding-left: 1.2rem; opacity: 0.8; }
"""


@st.cache_resource
def _component() -> Any:
    return st.components.v2.component("brandvis.direct_upload", js=UPLOAD_JS, css=UPLOAD_CSS)


@dataclass(frozen=True)
class Uploads:
    """The files chosen in the component, in the order chosen: their names at once, each one's reference
    once the page has adopted it (in the bucket at its content key), and why a file cannot be used."""

    names: list[str]
    refs: list[Any]  # None: not (yet) adopted; else what `adopt` gave (a VideoRef, a StoredImage)
    errors: list[str | None]

    @property
    def ready(self) -> list[Any]:
        """The adopted files' references, in the order chosen."""
        return [r for r in self.refs if r is not None]

    @property
    def waiting(self) -> list[str]:
        """The files still on their way (neither adopted nor refused)."""
        return [n for n, r, e in zip(self.names, self.refs, self.errors) if r is None and e is None]

    def wait_line(self) -> str:
        """What to wait for before starting anything with these files (markdown, names escaped)."""
        return f"Wait until {md(', '.join(self.waiting))} {'is' if len(self.waiting) == 1 else 'are'} in the bucket."


def video_uploads(label: str, types: list[str], key: str, multiple: bool = True) -> Uploads:
    """Videos to analyze (several with `multiple`), each a VideoRef at its content key once in the bucket."""
    return direct_uploads(label, types, key, adopt=lambda s, upload, name: s.adopt_video(upload, name),
                          instead="Analyze it with `brandvis analyze FILE`, which streams it from disk.",
                          noun="video", ready="ready to analyze", multiple=multiple)


def media_uploads(label: str, types: list[str], key: str) -> Uploads:
    """Videos and images to label, each a VideoRef or a StoredImage at its content key once in the bucket."""
    return direct_uploads(label, types, key, adopt=lambda s, upload, name: s.adopt_media(upload, name),
                          instead="Give it to `brandvis train --media FILE`, which streams it from disk.",
                          noun="file", ready="ready to label")


def direct_uploads(label: str, types: list[str], key: str, adopt: Callable[[Submitter, DirectUpload, str], Any],
                   instead: str, noun: str, ready: str, multiple: bool = True) -> Uploads:
    """The component and its handshake: `adopt` takes each file that landed; `instead` says what to do
    with a file over the limit; "N {noun}s are uploaded: {ready}." once none is on its way."""
    limit = data.upload_limit_mb()
    state: dict[str, Any] = st.session_state.setdefault(f"{key}.direct", {})
    files: dict[str, dict[str, Any]] = state.setdefault("files", {})  # token -> name, upload, post, ref, error
    result = _component()(
        key=key, on_chosen_change=lambda: None, on_uploaded_change=lambda: None, on_failed_change=lambda: None,
        data={"id": key, "label": label, "accept": ",".join(f".{t}" for t in types), "max_bytes": limit * MB,
              "multiple": multiple, "parallel": PARALLEL,
              "help": f"Up to {limit:,} MB a file (BRANDVIS_UPLOAD_MAX_MB), sent straight to the bucket.",
              "posts": [f["post"] for f in files.values() if "post" in f]})
    chosen = result.chosen or []
    if isinstance(chosen, dict):  # a state saved by the single-file version of this component
        chosen = [chosen]
    if chosen and [c.get("token") for c in chosen] != list(files):
        files.clear()
        for c in chosen:
            name = str(c["name"])
            files[c["token"]] = f = {"name": name}
            if c["size"] > limit * MB:
                f["error"] = (f"{name} is {c['size'] / MB:,.1f} MB; the dashboard takes up to {limit:,} MB a file "
                              f"(BRANDVIS_UPLOAD_MAX_MB). {instead}")
                continue
            try:
                upload = data.submit().presign_video(name)
            except RequestError as exc:
                f["error"] = str(exc)
            else:
                f.update(upload=upload, post={**upload.to_dict(), "token": c["token"]})
        if any("post" in f for f in files.values()):
            st.rerun()  # mount again with the POSTs for these files
    for token in result.uploaded or []:
        f = files.get(token)
        if f is None or "upload" not in f or "ref" in f or "error" in f:
            continue
        try:  # kept the moment it returns: a rerun may stop the script at the spinner's end
            with st.spinner(f"Checking {md(f['name'])}…"):
                f["ref"] = adopt(data.submit(), f["upload"], f["name"])
        except RequestError as exc:
            f["error"] = str(exc)
        f.pop("post", None)
    for token, why in (result.failed or {}).items():  # the browser could not send it
        f = files.get(token)
        if f is not None and "ref" not in f and "error" not in f:
            f["error"] = str(why)
            f.pop("post", None)
    for f in files.values():
        if f.get("error"):
            st.error(md(f["error"]))
    uploads = Uploads([f["name"] for f in files.values()], [f.get("ref") for f in files.values()],
                      [f.get("error") for f in files.values()])
    done, chosen_n = len(uploads.ready), len(uploads.names)
    if done and not uploads.waiting:
        st.success(f"{md(uploads.names[0])} is uploaded: {ready}." if chosen_n == 1 else
                   f"{done} {noun}s are uploaded: {ready}." if done == chosen_n else
                   f"{done} of {chosen_n} {noun}s are uploaded: {ready}.")
    return uploads
