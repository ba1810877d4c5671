"""Label: a training job's frames, labeled by a person on the built-in labeler.

Boxes are drawn, moved and resized with the mouse (streamlit-drawable-canvas, `labeled_rect`). A
frame not yet saved starts with proposals, drawn dashed: the boxes saved on the frame before it,
carried to where their contents moved, and the model's pre-labels. Saving marks a frame reviewed,
boxes or none ("no brand here"); Finish writes Ground Truth's output and the event that resumes
the waiting job. Saved frames live in the table, so any session picks up where the last stopped.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from dashboard import data
from dashboard.text import md
from shared.labeling.labelers import LabelingError
from shared.labeling.propagate import SAME_PLACE_IOU, iou
from shared.labeling.store import COMPLETED, FrameLabel, LabelingJob
from shared.models.dataset import Box
from shared.models.manifest import MIN_EXAMPLES

PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#808000",
           "#000075"]
CANVAS_WIDTH = 720  # frames are drawn this wide (small ones enlarged up to 2x)
STRIP = 9  # thumbnails around the current frame
SAME_PX = 0.75  # a box this close to where it started is that box, untouched
PROPOSED = ("carried", "model")

# The buttons carry their own shortcuts (st.button(shortcut=)); the canvas's toolbar lives in its
# shadow root, so Delete and E reach it through this listener, which clicks its buttons.
CANVAS_KEYS_JS = """
export default function ({ data }) {
  window.__brandvisCanvasKeys = data || {};
  if (!window.__brandvisCanvasKeyHandler) {
    const typing = (el) => el && (el.isContentEditable || el.tagName === "TEXTAREA" ||
      (el.tagName === "INPUT" && !["radio", "checkbox", "button"].includes(el.type)));
    window.__brandvisCanvasKeyHandler = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || typing(e.composedPath()[0])) return;
      const label = window.__brandvisCanvasKeys[e.key.length === 1 ? e.key.toLowerCase() : e.key];
      if (!label) return;
      for (const host of document.querySelectorAll("*")) {
        const button = host.shadowRoot && host.shadowRoot.querySelector(`.dc-toolbar button[aria-label="${label}"]`);
        if (button) { e.preventDefault(); button.click(); return; }
      }
    };
    document.addEventListener("keydown", window.__brandvisCanvasKeyHandler);
  }
  return () => {
    document.removeEventListener("keydown", window.__brandvisCanvasKeyHandler);
    window.__brandvisCanvasKeyHandler = null;
  };
}
"""
CANVAS_KEYS = {"Delete": "Delete selected", "Backspace": "Delete selected", "e": "Edit", "z": "Undo"}


@st.cache_resource
def _canvas_keys() -> Any:
    return st.components.v2.component("brandvis.canvas_keys", js=CANVAS_KEYS_JS)


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def _job_label(j: dict[str, Any]) -> str:
    req = j["request"]
    return (f"{req.get('model', '?')} v{req.get('version', '?')} · {j['outputs']['labeling']['frames']} frames · "
            f"{j['created_at'][:16].replace('T', ' ')} · {j['job_id']}")


def _box(b: Box | dict[str, Any], origin: str, score: float | None = None) -> dict[str, Any]:
    if isinstance(b, Box):
        b = {"label": b.label, "left": b.left, "top": b.top, "width": b.width, "height": b.height}
    return {"label": b["label"], "left": float(b["left"]), "top": float(b["top"]), "width": float(b["width"]),
            "height": float(b["height"]), "origin": origin, "score": score}


def _plain(boxes: list[Box]) -> tuple[tuple[str, float, float, float, float], ...]:
    return tuple((b.label, b.left, b.top, b.width, b.height) for b in boxes)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["label"] == b["label"] and all(abs(a[k] - b[k]) <= SAME_PX for k in ("left", "top", "width", "height"))


def _canvas_object(b: dict[str, Any], scale: float, colour: str) -> dict[str, Any]:
    """A box as the canvas draws it: solid if a person's, dashed if proposed."""
    return {"type": "LabeledRect", "label": b["label"], "left": b["left"] * scale, "top": b["top"] * scale,
            "width": b["width"] * scale, "height": b["height"] * scale, "originX": "left", "originY": "top",
            "scaleX": 1, "scaleY": 1, "angle": 0, "stroke": colour, "strokeWidth": 3, "fill": "rgba(0, 0, 0, 0)",
            "strokeDashArray": [10, 6] if b["origin"] in PROPOSED else None, "lockRotation": True,
            "strokeUniform": True, "fontSize": 14}


def _clip(b: dict[str, Any], size: tuple[int, int]) -> dict[str, Any] | None:
    """The box cut to the frame (training refuses a box outside its image), None if little is left."""
    x0, y0 = max(0.0, b["left"]), max(0.0, b["top"])
    x1, y1 = min(float(size[0]), b["left"] + b["width"]), min(float(size[1]), b["top"] + b["height"])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return {**b, "left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0}


def _on_frame(canvas_boxes: list[dict[str, Any]], scale: float, size: tuple[int, int],
              started: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The canvas's boxes in frame pixels, cut to the frame; a box where it started keeps its origin."""
    out = []
    for cb in canvas_boxes:
        box = _clip(_box({k: cb[k] / scale if k != "label" else cb[k]
                          for k in ("label", "left", "top", "width", "height")}, "drawn"), size)
        if box is None:
            continue
        match = next((s for s in started if _same(box, s)), None)
        out.append({**box, "origin": match["origin"], "score": match["score"]} if match else box)
    return out


def _boxes(n: int) -> str:
    return f"{n} box" if n == 1 else f"{n} boxes"


def _origin_text(b: dict[str, Any]) -> str:
    if b["origin"] == "carried":
        return f"proposed: carried from the frame before (match {b['score']:.2f})"
    if b["origin"] == "model":
        return f"proposed: the model's ({b['score']:.2f})"
    return {"saved": "saved", "drawn": "yours"}.get(b["origin"], b["origin"])


st.title("Label")
S = st.session_state
waiting = data.labeling_jobs()
wanted = st.query_params.get("job")
ids = [j["job_id"] for j in waiting]
if wanted and wanted not in ids:
    ids.insert(0, wanted)  # a link to a job that no longer waits still says why
if not ids:
    st.info("No training job is waiting for labels. Start one from videos or images with "
            "`brandvis train --media FILE… --labels A,B --name NAME` (the built-in labeler is the default); "
            "its frames appear here once they are extracted.")
    st.stop()
chosen = st.selectbox("Labeling job", ids, index=ids.index(wanted) if wanted in ids else 0,
                      format_func=lambda i: next((_job_label(j) for j in waiting if j["job_id"] == i), i))
st.query_params["job"] = chosen

finished = S.get("label_finished", {}).get(chosen)
try:
    record_item, task = data.labeling(chosen)
    record = LabelingJob(**record_item)
    if not (finished and record.status == COMPLETED):
        data.labeler().open_for_work(record)
except LabelingError as exc:
    st.error(md(exc))
    job = data.job(chosen)
    if job:
        st.caption(f"Job {md(chosen)} is {job['status']}.")
    st.stop()
if finished:
    st.success(md(finished))
    st.caption(f"Job {md(chosen)} is {(data.job(chosen) or {}).get('status', '?')} now: follow it on **Operations**.")
    st.stop()

labeler = data.labeler()
order = [(s.seq_no, n) for s in task.sequences for n in range(len(s.frames))]
saved = data.labeled_frames(task.name)
positions = S.setdefault("label_pos", {})
if task.name not in positions:  # resume: the first frame nobody reviewed yet
    positions[task.name] = next((i for i, k in enumerate(order) if k not in saved), 0)
at = min(positions[task.name], len(order) - 1)
seq_no, no = order[at]
seq = task.sequence(seq_no)
uri = seq.prefix + seq.frames[no]
size = data.frame_size(uri)
colours = {label: PALETTE[k % len(PALETTE)] for k, label in enumerate(task.labels)}
objects = task.kind == "object"


def go(index: int) -> None:
    positions[task.name] = max(0, min(len(order) - 1, index))


def _restart(boxes: list[dict[str, Any]]) -> None:
    """Start the canvas again from these boxes (a new key: the component keeps no stale drawing)."""
    S["label_rev"] = S.get("label_rev", 0) + 1
    S["label_work"] = {**S["label_work"], "boxes": boxes, "rev": S["label_rev"]}


def _relabel(rev: int, k: int, key: str) -> None:
    # Streamlit may call this for a row of an earlier drawing whose widget it just dropped: act only on
    # a row of the drawing shown, whose label really changed.
    boxes = [dict(b) for b in S.get("label_shown", [])]
    if rev != S["label_work"]["rev"] or k >= len(boxes) or S.get(key) in (None, boxes[k]["label"]):
        return
    boxes[k].update(label=S[key], origin="drawn", score=None)
    _restart(boxes)


def _delete(rev: int, k: int) -> None:
    boxes = S.get("label_shown", [])
    if rev == S["label_work"]["rev"] and k < len(boxes):
        _restart([b for i, b in enumerate(boxes) if i != k])


def _pick(key: str, label: str) -> None:
    S[key] = label  # the label of the next box drawn, or this frame's label (concept)


# What this frame starts with: what was saved, else the proposals
frame_id = (task.name, seq_no, no)
work = S.get("label_work")
if not work or work["frame"] != frame_id:
    if (seq_no, no) in saved:
        f = saved[(seq_no, no)]
        start = [_box(b, "saved") for b in f.boxes]
        proposed: list[dict[str, Any]] = []
        refused = list(f.rejected)
    else:
        before = saved.get((seq_no, no - 1)) if no > 0 else None
        previous, rejected = (_plain(before.boxes), _plain(before.rejected)) if before else ((), ())
        found, carried_refusals = data.proposals(task.name, seq_no, no, previous, rejected, task)
        proposed = [_box(p.box, p.origin, p.score) for p in found]
        if objects and size:
            proposed = [c for c in (_clip(p, size) for p in proposed) if c]
        start = [dict(p) for p in proposed] if objects else []
        refused = [p.box for p in carried_refusals]
    S["label_rev"] = S.get("label_rev", 0) + 1
    work = S["label_work"] = {"frame": frame_id, "boxes": start, "proposals": proposed, "refused": refused,
                              "rev": S["label_rev"]}
is_saved = (seq_no, no) in saved

where = md(seq.source) + (f" (sequence {seq_no} of {len(task.sequences)})" if len(task.sequences) > 1 else "")
when = f" · {_clock(seq.times[no])} into the video" if seq.times else ""
st.caption(f"Labeling job {md(task.name)} · {task.kind} · labels: {md(', '.join(task.labels))}"
           + (f" · proposals from {md(task.prelabel.name)} v{task.prelabel.model_version}" if task.prelabel else ""))
st.subheader(f"{where} · frame {no + 1} of {len(seq.frames)}{when}" + (" · reviewed" if is_saved else ""))

# The strip: neighbouring frames of this video, reviewed ones ticked
lo = max(0, min(no - STRIP // 2, len(seq.frames) - STRIP))
for col, n in zip(st.columns(STRIP), range(lo, min(len(seq.frames), lo + STRIP))):
    thumb = data.thumbnail(seq.prefix + seq.frames[n])
    if thumb:
        col.image(thumb, width="stretch")
    done = (seq_no, n) in saved
    col.button(f"{n + 1} ✓" if done else f"{n + 1}", key=f"label_strip_{n}", width="stretch",
               type="primary" if n == no else "secondary", on_click=go, args=(order.index((seq_no, n)),),
               help="reviewed" if done else "not reviewed yet")

left, right = st.columns([3, 1], gap="medium")
jpeg = data.frame_jpeg(uri)
if size is None or jpeg is None:
    left.error(f"Frame {md(uri)} cannot be read. Go on to the next one: a frame nobody saves is left out of training.")
    size = (640, 360)
pick_key = "label_pick" if objects else f"label_concept_{seq_no}_{no}"
pick = S.get("label_pick") if S.get("label_pick") in task.labels else task.labels[0]  # the next box's label
shown: list[dict[str, Any]] = []
with left:
    if objects:
        scale = min(2.0, CANVAS_WIDTH / size[0])
        result = st_canvas(fill_color="rgba(0, 0, 0, 0)", stroke_width=3, stroke_color=colours[pick],
                           background_image=jpeg, update_streamlit=True, width=round(size[0] * scale),
                           height=round(size[1] * scale), drawing_mode="labeled_rect", label=pick, font_size=14,
                           initial_drawing={"objects": [_canvas_object(b, scale, colours.get(b["label"], "#ffffff"))
                                                        for b in work["boxes"]]},
                           key=f"label_canvas_{work['rev']}")
        shown = _on_frame(result.boxes, scale, size, work["boxes"])
        S["label_shown"] = shown
        st.caption("Drag on the frame to draw a box with the chosen label. Dashed boxes are proposals: keep, move, "
                   "relabel or delete them. To move or resize a box turn on the canvas's **Edit** (pencil, or `E`), "
                   "select it, drag; `Delete` removes the selected box, `Z` undoes.")
        for k, b in enumerate(shown):
            a, c, d = st.columns([2, 4, 1], vertical_alignment="center")
            key = f"label_box_{work['rev']}_{k}_{b['label']}_{round(b['left'])}_{round(b['top'])}"
            a.selectbox(f"Box {k + 1}", task.labels, key=key, on_change=_relabel, args=(work["rev"], k, key),
                        index=task.labels.index(b["label"]) if b["label"] in task.labels else None,
                        placeholder=f"'{b['label']}' is no label of this job", label_visibility="collapsed")
            c.markdown(f"<span style='color:{colours.get(b['label'], '#888')}'>■</span> Box {k + 1}: "
                       f"{round(b['width'])}×{round(b['height'])} at ({round(b['left'])}, {round(b['top'])}) · "
                       f"{_origin_text(b)}", unsafe_allow_html=True)
            d.button("", icon=":material/delete:", key=f"label_del_{work['rev']}_{k}", on_click=_delete,
                     args=(work["rev"], k), help=f"Delete box {k + 1}")
    else:  # concept: one label for the whole frame
        if jpeg:
            st.image(jpeg, width=CANVAS_WIDTH)
        suggestion = work["proposals"][0] if work["proposals"] else None
        if pick_key not in S:
            current = saved[(seq_no, no)].labels[:1] if is_saved else []
            S[pick_key] = current[0] if current else (suggestion["label"] if suggestion else None)
        if suggestion:
            st.caption(f"The model proposes **{md(suggestion['label'])}** ({suggestion['score']:.2f}).")
        st.markdown(f"This frame: **{md(S[pick_key] or 'no label chosen')}**")

with right:
    st.markdown("**Label**" + (" of the next box" if objects else " of this frame") + " (keys 1–9)")
    for k, label in enumerate(task.labels):
        st.button(md(label), key=f"label_pick_{k}", on_click=_pick, args=(pick_key, label), width="stretch",
                  type="primary" if label == S.get(pick_key, pick) else "secondary",
                  shortcut=str(k + 1) if k < 9 else None)
    st.divider()
    go_back = st.button("Previous", key="label_prev", shortcut="Left", width="stretch", disabled=at == 0,
                        help="Back one frame, without saving this one")
    save_next = st.button("Save & next", key="label_next", shortcut="Right", type="primary", width="stretch",
                          help="Save this frame as it is now and go to the next")
    no_brand = st.button("No brand here" if objects else "None of these", key="label_none", shortcut="N",
                         width="stretch", help="Nothing to label on this frame: save it empty"
                         + (" (a negative example)" if objects else " (left out of training)"))
    accept = st.button("Accept proposals", key="label_accept", shortcut="A", width="stretch",
                       disabled=not work["proposals"] or is_saved,
                       help="Save the proposed " + ("boxes" if objects else "label") + " as they are and go on")

    def _rejected(kept: list[Box]) -> list[Box]:
        """The model's proposals the person deleted here (none of the kept boxes is where it was), and
        those refused on the frame before that are still in view: neither is proposed on the next frame."""
        deleted = [Box(p["label"], p["left"], p["top"], p["width"], p["height"]) for p in work["proposals"]
                   if p["origin"] == "model"]
        return [b for b in deleted if all(iou(b, k) < SAME_PLACE_IOU for k in kept)] + work["refused"]

    def _save(labels: FrameLabel, what: str) -> None:
        if objects:
            labels.rejected = _rejected(labels.boxes)
        labeler.store.save_frame(task.name, labels)
        data.labeled_frames.clear()
        data.label_progress.clear()
        if at + 1 < len(order):
            go(at + 1)
        S["label_saved"] = {"at": positions[task.name], "what": what}  # shown until the page turns
        st.rerun()

    bad = [b["label"] for b in shown if b["label"] not in task.labels]
    if go_back:
        go(at - 1)
        st.rerun()
    if objects and (save_next or accept) and bad:
        st.error(f"Box label {md(repr(bad[0]))} is not one of {md(', '.join(task.labels))}: pick it in the box's row.")
    elif objects and save_next:
        unchanged_saved = is_saved and all(b["origin"] == "saved" for b in shown) and len(shown) == len(work["boxes"])
        as_proposed = bool(shown) and len(shown) == len(work["proposals"]) and all(
            any(_same(b, p) and b["origin"] == p["origin"] for p in work["proposals"]) for b in shown)
        source = saved[(seq_no, no)].source if unchanged_saved else ("accepted" if as_proposed else "drawn")
        _save(FrameLabel(seq_no, no, [Box(b["label"], b["left"], b["top"], b["width"], b["height"]) for b in shown],
                         source=source), f"Frame {no + 1} saved: {_boxes(len(shown))}")
    elif objects and accept:
        _save(FrameLabel(seq_no, no, [Box(p["label"], p["left"], p["top"], p["width"], p["height"])
                                      for p in work["proposals"]], source="accepted"),
              f"Frame {no + 1} saved: {_boxes(len(work['proposals']))} accepted")
    elif not objects and (save_next or accept):
        label = work["proposals"][0]["label"] if accept else S.get(pick_key)
        if label is None:
            st.error("Pick this frame's label first (or: None of these).")
        else:
            source = "accepted" if work["proposals"] and label == work["proposals"][0]["label"] else "drawn"
            _save(FrameLabel(seq_no, no, labels=[label], source=source), f"Frame {no + 1} saved: {label}")
    if no_brand:
        _save(FrameLabel(seq_no, no, source="drawn"), f"Frame {no + 1} saved: no brand")
    if (S.get("label_saved") or {}).get("at") == at:
        st.caption(md(S["label_saved"]["what"]))

    progress = data.label_progress(task.name, task.frame_count)
    done, total, per_label = progress["done"], progress["total"], progress["per_label"]
    st.divider()
    st.progress(done / max(1, total), text=f"{done} of {total} frames reviewed")
    unit = "boxes" if objects else "frames"
    one = {"boxes": "box", "frames": "frame"}[unit]
    st.markdown("\n".join(f"- <span style='color:{colours[label]}'>■</span> {md(label)}: {per_label.get(label, 0)} "
                          f"{one if per_label.get(label, 0) == 1 else unit}" for label in task.labels),
                unsafe_allow_html=True)

    st.divider()
    if done < total:
        st.warning(f"{total - done} of {total} frames are not reviewed: Finish leaves them out of training.")
    short = [f"{md(label)} ({per_label.get(label, 0)})" for label in task.labels
             if per_label.get(label, 0) < MIN_EXAMPLES[task.kind]]
    if short:
        st.warning(f"Training needs at least {MIN_EXAMPLES[task.kind]} {unit} per label; fewer so far: "
                   f"{', '.join(short)}.")
    if st.button("Finish", key="label_finish", width="stretch",
                 help="Write the labels in Ground Truth's output format and let the job go on to training"):
        try:
            out_uri = labeler.finish(task)
        except LabelingError as exc:
            st.error(md(exc))
        else:
            S.setdefault("label_finished", {})[chosen] = (
                f"Labeling job {task.name} is finished: {done} of {total} frames reviewed, Ground Truth's output at "
                f"{out_uri}. Job {chosen} goes on (collect, then training) as soon as a worker reads the event.")
            data.labeling.clear()
            data.job.clear()
            data.jobs.clear()
            st.rerun()

if objects:
    _canvas_keys()(data=CANVAS_KEYS, key="label_canvas_keys")
