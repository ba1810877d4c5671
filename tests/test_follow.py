"""Following a found mark onto the neighbouring sampled frames that lost it
(shared/models/local/follow.py), and the stored frames it looks back at (shared/media/jpegs.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from shared.detections import Detections
from shared.media.jpegs import JpegFrames
from shared.models.local.follow import CAP, PADS, PRIOR, follow, head_prior, with_followed
from shared.models.text.match import TextSignatures
from tests.test_text import badge


def _found(marks: list[tuple[str, tuple[float, float, float, float], float]]) -> Detections:
    if not marks:
        return Detections.empty((640, 360))
    return Detections(np.array([m[1] for m in marks], np.float32), np.array([m[2] for m in marks], np.float32),
                      np.array([m[0] for m in marks], object), (640, 360))


def test_a_found_mark_is_followed_onto_neighbours_that_lost_it_until_a_reading_stops_it():
    # Frame n is a flat grey of 10 n, so a crop says which frame it came from. Voltix (it has words)
    # is found sure on frame 2, and only doubtfully on frame 3; Acme (no words) sure on frame 5.
    frames = [np.full((360, 640, 3), 10 * n, np.uint8) for n in range(7)]
    box = (100.0, 50.0, 200.0, 90.0)
    found = [_found([]), _found([]), _found([("Voltix", box, 0.9)]), _found([("Voltix", box, 0.3)]),
             _found([]), _found([("Acme", (300, 100, 400, 140), 0.9)]), _found([])]
    asked: list[tuple[int, str]] = []

    def reread(crops: list[np.ndarray], labels: list[str], priors: list[float]) -> list[tuple[float, str]]:
        frame_nos = [int(round(c.mean() / 10)) for c in crops]
        asked.extend(zip(frame_nos, labels))
        assert priors == [PRIOR] * len(crops)  # no head scores given: every crop starts from PRIOR
        # The mark reads on frames 1, 3 and 4; frame 0 shows part of the word, frame 5 other text
        return [(0.9, "VOLTIX") if n in (1, 3, 4) else (0.2, "VOLT" if n == 0 else "ACME") for n in frame_nos]

    added = follow(found, frames, reread, TextSignatures(signatures={"Voltix": ["VOLTIX"]}))
    assert [[(label, score) for label, _, score in a] for a in added] == [
        [], [("Voltix", 0.9)], [], [("Voltix", 0.9)], [("Voltix", 0.9)], [], []]
    # Read on each frame that lacks it, outwards until a reading stops it: frames 0 and 5, where the
    # first width does not find it, at every width (the box may have held only an emblem or part
    # of the word), the others once. Acme has no words to read and is never followed.
    assert sorted(set(asked)) == [(0, "Voltix"), (1, "Voltix"), (3, "Voltix"), (4, "Voltix"), (5, "Voltix")]
    assert [asked.count((n, "Voltix")) for n in (0, 1, 3, 4, 5)] == [len(PADS), 1, 1, 1, len(PADS)]
    assert added[4][0][1].tolist() == list(box)  # where it was found

    # On frame 3 the followed mark takes the doubtful box's place, from whatever floor is kept
    det = with_followed(found[3], added[3], 0.2)
    assert det.labels.tolist() == ["Voltix"] and det.confidence.tolist() == [pytest.approx(0.9)]
    assert len(with_followed(found[0], added[0], 0.2)) == 0


def test_real_readings_follow_a_drifting_mark_and_stop_at_its_look_alike():
    from devtools.synth.scenes import background
    from shared.models.local.detector import LocalDetector
    from shared.models.local.head import Head
    from shared.models.text.reader import load_reader

    def frame(word: str | None, x: int) -> np.ndarray:
        image = np.ascontiguousarray(background(np.random.default_rng(3), 960, 540))
        if word:
            mark = badge(word, 180)
            image[200:200 + mark.shape[0], x:x + mark.shape[1]] = mark
        return image

    # Found on frame 1 only; it drifts 12 px a frame; on frame 3 the same place shows its rival's
    # VOLTEK board, on frame 0 an empty scene
    frames = [frame(None, 0), frame("VOLTIX", 300), frame("VOLTIX", 312), frame("VOLTEK", 324)]
    mark = badge("VOLTIX", 180)
    found = [_found([]), _found([("Voltix", (300, 200, 300 + mark.shape[1], 200 + mark.shape[0]), 0.8)]),
             _found([]), _found([])]
    text = TextSignatures(signatures={"Voltix": ["VOLTIX"]}, others=["VOLTEK"])
    detector = LocalDetector(Head(["Voltix", "Acme"], {}, "none"), base=object(),  # type: ignore[arg-type]
                             text=text, reader=load_reader())
    added = follow(found, frames, detector.reread, text)
    assert [len(a) for a in added] == [0, 0, 1, 0]
    assert added[2][0][0] == "Voltix" and added[2][0][2] >= 0.9  # read as its word: rescued
    assert detector.reads == 5  # frame 2 once (found); frames 0 and 3 at both widths (not found)


def test_a_re_read_starts_from_what_the_head_gave_the_label_there_at_most_cap():
    from shared.models.local.detector import Scored
    from shared.models.local.head import Candidates

    def scored(boxes: list[tuple[float, float, float, float]], voltix: list[float]) -> Scored:
        n = len(boxes)
        probs = np.array([[v, 0.0, 1 - v] for v in voltix], np.float32).reshape(n, 3)
        cand = Candidates(np.zeros((n, 2), int), np.zeros(n, np.float32), np.zeros((n, 4), np.float32),
                          np.array(boxes, np.float32).reshape(n, 4))
        return Scored(cand, probs * 0.1, (640, 360), head=probs)  # read down to a tenth; the head's own kept

    frames = [scored([(100, 50, 200, 90), (400, 50, 500, 90)], [0.3, 0.9]), scored([(105, 52, 205, 92)], [0.8]),
              scored([], []), scored([(400, 200, 500, 240)], [0.4])]
    prior = head_prior(frames, ["Voltix", "Acme"])
    box = np.array([100, 50, 200, 90], np.float32)
    score, there = prior(0, "Voltix", box)
    assert score == pytest.approx(0.3) and there.tolist() == [100, 50, 200, 90]  # the overlapping candidate's, not the other's 0.9
    score, there = prior(1, "Voltix", box)
    assert score == pytest.approx(CAP) and there.tolist() == [105, 52, 205, 92]  # a sure head still leaves the reading to decide
    score, there = prior(1, "Acme", box)
    assert score == pytest.approx(PRIOR) and there.tolist() == box.tolist()  # the head gave Acme nothing there
    for n in (2, 3):  # no candidate there: where it was
        score, there = prior(n, "Voltix", box)
        assert score == PRIOR and there.tolist() == box.tolist()


def test_a_mark_that_moved_is_read_again_around_the_head_s_candidate_on_that_frame():
    # Pixel value = column / 3: a crop's mean says where it was cut. Voltix is found on frame 0; on
    # frame 1 the head's candidate for it lies 50 px to the right (overlapping the old box, IoU 0.33)
    from shared.models.local.detector import Scored
    from shared.models.local.head import Candidates

    image = np.repeat((np.arange(640) // 3).astype(np.uint8)[None, :, None], 360, axis=0).repeat(3, axis=2)
    old, moved = (100.0, 50.0, 200.0, 90.0), (150.0, 50.0, 250.0, 90.0)
    cand = Candidates(np.zeros((1, 2), int), np.zeros(1, np.float32), np.zeros((1, 4), np.float32),
                      np.array([moved], np.float32))
    head = np.array([[0.3, 0.0, 0.7]], np.float32)
    frames = [Scored(cand, head, (640, 360), head=head)] * 2
    centres: list[float] = []

    def reread(crops: list[np.ndarray], labels: list[str], priors: list[float]) -> list[tuple[float, str]]:
        centres.extend(3 * c[..., 0].mean() for c in crops)
        assert priors == [pytest.approx(0.3)] * len(crops)  # the head's own score there
        return [(0.9, "VOLTIX") if 3 * c[..., 0].mean() > 190 else (0.2, "") for c in crops]

    added = follow([_found([("Voltix", old, 0.9)]), _found([])], [image, image], reread,
                   TextSignatures(signatures={"Voltix": ["VOLTIX"]}), head_prior(frames, ["Voltix", "Acme"]))
    # Around the old box at both widths (not there), then around the candidate: found, with its box
    assert len(centres) == len(PADS) + 1 and all(c < 160 for c in centres[:-1]) and centres[-1] > 190
    assert [(label, box.tolist()) for label, box, _ in added[1]] == [("Voltix", list(moved))]


def test_stored_frames_are_decoded_when_used_and_fetched_once():
    images = [np.full((48, 64, 3), v, np.uint8) for v in (20, 120, 220)]
    stored = {f"f{i}": cv2.imencode(".jpg", im)[1].tobytes() for i, im in enumerate(images)}
    stored["bad"] = b"not a jpeg"
    fetched: list[str] = []

    def fetch(name: str) -> bytes:
        fetched.append(name)
        return stored[name]

    frames = JpegFrames(["f0", "f1", "f2"], fetch, lambda name: np.zeros((8, 8, 3), np.uint8), ahead=2)
    assert [int(round(im.mean())) for im in frames] == [20, 120, 220]
    assert int(round(frames[0].mean())) == 20 and int(round(frames[-1].mean())) == 220  # looked back at
    assert [int(round(im.mean())) for im in frames[1:]] == [120, 220]
    assert sorted(fetched) == ["f0", "f1", "f2"]  # the bytes are kept: no second fetch
    with pytest.raises(IndexError):
        frames[3]

    def refuse(name: str) -> np.ndarray:
        raise ValueError(f"frame {name} is not a readable JPEG")

    with pytest.raises(ValueError, match="frame bad is not a readable JPEG"):
        list(JpegFrames(["f0", "bad"], fetch, refuse))


def test_frames_past_the_seam_are_only_followed_into_not_detected():
    """detect_sequence's last `followed_only` frames get no base-model pass; a mark found before
    them is still followed onto them."""
    from shared.models.local.backend import LocalBackend, LocalModel
    from shared.models.local.detector import LocalDetector, Scored
    from shared.models.local.head import Candidates, Head

    text = TextSignatures(signatures={"Voltix": ["VOLTIX"]})
    head = Head(["Voltix", "Acme"], {}, "none")
    detector = LocalDetector(head, base=object(), text=text)  # type: ignore[arg-type]
    detected: list[int] = []

    def score_many(images):  # type: ignore[no-untyped-def]
        detected.append(len(images))
        cand = Candidates(np.zeros((1, 2), int), np.ones(1, np.float32), np.zeros((1, 49), np.float32),
                          np.array([[100, 50, 200, 90]], np.float32))
        probs = np.array([[0.9, 0.0, 0.1]], np.float32)
        return [Scored(cand, probs.copy(), (640, 360), head=probs) for _ in images]

    reads: list[int] = []

    def reread(crops, labels, priors):  # type: ignore[no-untyped-def]
        reads.append(len(crops))
        return [(0.9, "VOLTIX")] * len(crops)

    detector.score_many = score_many  # type: ignore[method-assign]
    detector.reread = reread  # type: ignore[method-assign]
    backend = LocalBackend(storage=None, load_image=None)  # type: ignore[arg-type]
    backend._model = lambda handle: LocalModel(head, text)  # type: ignore[method-assign]
    backend._detector = lambda model: detector  # type: ignore[method-assign]
    frames = [np.full((360, 640, 3), 100, np.uint8) for _ in range(4)]
    found = backend.detect_sequence({}, frames, 0.5, followed_only=2)
    assert detected == [2]  # the segment's own two frames
    assert [d.labels.tolist() for d in found] == [["Voltix"]] * 4  # followed onto the two past the seam
    assert sum(reads) == 2
