"""Brands read as text: the recogniser (offline, from the rapidocr wheel), word spotting, what a
reading says about a candidate, signatures learned from labeled boxes, and fusion with the head."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import cv2
import numpy as np
import pytest

from devtools.synth import typeset
from shared.models.local import compose
from shared.models.local.reading import Fusion, learn_signatures
from shared.models.text.lexicon import Lexicon
from shared.models.text.match import TextSignatures, distance, parse_words
from shared.models.text.reader import Reading, load_reader
from tests.conftest import ROOT


def badge(word: str, width: int, seed: int = 0, layout: str = "badge") -> np.ndarray:
    """A typeset mark `width` px wide on a plain background (BGR), as the benchmark draws them, in
    Pillow's own face (every machine has it, whatever fonts it has installed)."""
    rng = np.random.default_rng(seed)
    sprite = typeset.render(typeset.design(rng, word, layout, typeset.PILLOW))
    sprite = compose.warp_sprite(sprite, width, rng, rotate=3, perspective=0.03)
    canvas = np.full((sprite.shape[0] + 12, sprite.shape[1] + 12, 3), 90, np.uint8)
    compose.paste(canvas, sprite, 6, 6)
    return canvas


def reading(text: str, confidence: float = 0.99) -> Reading:
    return Reading(text, confidence, (confidence,) * len(text))


def test_the_recogniser_reads_typeset_marks_and_its_package_never_touches_the_network():
    # Loaded in a fresh interpreter where any socket use fails, it reads two marks exactly
    code = """
import socket, sys
sys.path.insert(0, %r)
def refuse(*a, **k):
    raise OSError("network used")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from tests.test_text import badge
from shared.models.text.reader import load_reader
from shared.models.text.finder import load_finder
print([r.text for r in load_reader().read([badge("VOLTIX", 240), badge("Nordane", 260, seed=1, layout="word")])])
import numpy as np
frame = np.full((360, 640, 3), 90, np.uint8)
mark = badge("Kestrel", 300, seed=2)
frame[100:100 + mark.shape[0], 100:100 + mark.shape[1]] = mark
print(len(load_finder().find(frame)))
print("rapidocr" in sys.modules)
""" % str(ROOT)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    texts, lines, imported = run.stdout.strip().splitlines()
    assert texts == "['VOLTIX', 'Nordane']" and int(lines) >= 1
    assert imported == "False"  # its own code (which can download other models) is never run


def test_one_opencv_in_the_environment_and_the_pinned_ocr_wheel():
    assert metadata.version("rapidocr").startswith("3.")
    installed = {d.metadata["Name"].lower() for d in metadata.distributions()}
    assert "opencv-python-headless" in installed and "opencv-python" not in installed


def test_word_spotting_prefers_the_word_the_crop_shows_over_its_rival():
    reader = load_reader()
    lexicon = Lexicon(reader.chars, ["VOLTIX", "VOLTEK", "Kestrel"])
    for word, rival in (("VOLTIX", "VOLTEK"), ("VOLTEK", "VOLTIX")):
        costs = dict(zip(lexicon.words, lexicon.costs(reader.probabilities([badge(word, 160)])[0])))
        assert costs[word] < 0.2 and costs[rival] - costs[word] > 1.0, costs
    # a combination mark: the emblem's initial before the name costs nothing
    costs = dict(zip(lexicon.words, lexicon.costs(reader.probabilities([badge("Kestrel", 300, 3, "combo")])[0])))
    assert costs["Kestrel"] < 0.2 and min(costs["VOLTIX"], costs["VOLTEK"]) > 1.0


def test_a_reading_is_judged_by_the_nearest_known_string():
    sig = TextSignatures(signatures={"Voltix": ["VOLTIX"], "Kestrel": ["Kestrel"]}, others=["VOLTEK"])
    # its own word, with case, spaces and stray letters around it
    assert sig.judge(reading("voltix")).label == "Voltix"
    assert sig.judge(reading("K Kestrel")).label == "Kestrel"
    # a rival's word (two letters of six changed) is evidence against, not a near miss
    said = sig.judge(reading("VOLTEK"))
    assert said.against and said.label is None and said.word == "VOLTEK"
    # one letter misread with low confidence still reads as the brand
    assert sig.judge(Reading("VOLT1X", 0.9, (1, 1, 1, 1, 0.3, 1))).label == "Voltix"
    # legible words that are nobody's are evidence against; illegible readings say nothing
    assert sig.judge(reading("BANANA")).against
    assert sig.judge(reading("BANANA", 0.5)).silent and sig.judge(reading("VO")).silent
    # part of a mark counts for the one word it is part of, and for nothing when shared
    assert sig.judge(reading("Kest")).label == "Kestrel"
    assert sig.judge(reading("VOLT")).silent
    # a few legible letters of a known word are no evidence against it (a box around its end)
    assert sig.judge(reading("LTIX")).label == "Voltix" and sig.judge(reading("TIX")).silent


def test_spotting_costs_decide_when_given():
    sig = TextSignatures(signatures={"Voltix": ["VOLTIX"]}, others=["VOLTEK"])
    assert sig.judge(reading("V?L?I?", 0.4), costs=[0.1, 2.5]).label == "Voltix"
    assert sig.judge(reading("V?L?E?", 0.4), costs=[2.4, 0.2]).against
    assert sig.judge(reading("V?L???", 0.4), costs=[0.3, 0.4]).silent  # too close to call


def test_fusion_rescues_a_candidate_that_reads_as_its_brand_and_vetoes_one_that_does_not():
    labels = ["Voltix", "Acme", "Kestrel"]  # Acme is an emblem: no text, never touched
    text_labels = np.array([True, False, True, False])
    fusion = Fusion(rescue=0.9, veto=0.1)
    sig = TextSignatures(signatures={"Voltix": ["VOLTIX"], "Kestrel": ["Kestrel"]}, others=["VOLTEK"])
    probs = np.array([0.3, 0.2, 0.1, 0.4])
    fusion.apply(probs, labels, text_labels, sig.judge(reading("VOLTIX")))
    assert probs[0] == 0.9 and probs[1] == 0.2 and probs[2] == pytest.approx(0.01)
    probs = np.array([0.8, 0.1, 0.05, 0.05])
    fusion.apply(probs, labels, text_labels, sig.judge(reading("VOLTEK")))
    assert probs[0] == pytest.approx(0.08) and probs[1] == 0.1
    probs = np.array([0.8, 0.1, 0.05, 0.05])
    fusion.apply(probs, labels, text_labels, sig.judge(reading("", 0.0)))
    assert list(probs) == [0.8, 0.1, 0.05, 0.05]


def test_a_reading_that_names_no_word_weighs_each_label_by_how_cheaply_the_crop_spells_it():
    labels = ["Voltix", "Acme"]  # Acme is an emblem: never touched
    text_labels = np.array([True, False, False])
    sig = TextSignatures(signatures={"Voltix": ["VOLTIX"]}, others=["VOLTEK"])
    assert sig.costs_by_label([1.0, 0.2]) == {"Voltix": (1.0, 0.2)}
    fusion = Fusion()

    def weighed(own: float, rival: float, p: float = 0.45) -> float:
        probs = np.array([p, 0.3, 0.25])
        fusion.weigh(probs, labels, text_labels, {"Voltix": (own, rival)})
        assert probs[1] == 0.3 and probs[2] == 0.25
        return float(probs[0])

    assert weighed(1.0, 4.0) > 0.9  # a small blurred mark: its own word is cheap, nobody else's is
    assert weighed(8.0, 7.5) < 0.05  # background spells no brand: far under the 0.5 threshold
    assert weighed(2.0, 0.2) < 0.2  # a look-alike spells its rival's word more cheaply
    assert weighed(0.5, 0.0) < 0.45  # AXION read as it stands: AXIOM is cheap, AXION cheaper
    assert weighed(fusion.fair, fusion.fair) == pytest.approx(0.45)  # at the fair cost, like everything else: no change


def test_weighing_is_a_setting_the_local_backend_passes_to_its_detector():
    from shared.config import Config
    from shared.models.local.backend import LocalBackend

    assert Config.load(env={}).text_weighing and Fusion().weighing and Config.load(env={}).identity_tracks
    off = Config.load(env={"BRANDVIS_TEXT_WEIGHING": "false"}).text_weighing
    backend = LocalBackend(storage=None, load_image=lambda uri: None, weighing=off)  # type: ignore[arg-type]
    assert not off and not backend.fusion.weighing


def test_weighing_spells_the_pieces_a_cut_mark_shows_that_belong_to_one_word_alone():
    sig = TextSignatures(signatures={"Voltix": ["VOLTIX"], "Nordane": ["Nordane"]}, others=["VOLTEK", "Nordale"])
    spelled = dict(sig.spelled())
    assert sig.spelled()[:4] == sig.known()
    assert spelled["TIX"] == "Voltix" and spelled["DANE"] == "Nordane" and spelled["DALE"] is None
    assert "VOLT" not in spelled and "NORDA" not in spelled  # shared with the rival: says neither
    assert "IX" not in spelled  # under a third of the word
    costs = [9.0] * len(sig.spelled())
    costs[list(spelled).index("TIX")] = 0.5
    costs[list(spelled).index("DALE")] = 0.2
    whole, pieces = sig.weights(costs)
    assert pieces["Voltix"] == (0.5, 0.2) and pieces["Nordane"] == (9.0, 0.2)
    assert whole["Voltix"] == (9.0, 9.0) == whole["Nordane"]
    assert sig.costs_by_label([1.0, 2.0, 3.0, 4.0])["Voltix"] == (1.0, 2.0)  # costs over whole words alone
    assert sig.costs_by_label([1.0, 2.0, 3.0, 4.0], pieces=True) == {}
    # only whole words say what a crop reads: a cheap piece is no rescue
    assert sig.judge(reading("", 0.0), costs).silent


def test_a_mark_cut_by_the_frame_edge_keeps_its_brand_when_weighed():
    reader = load_reader()
    sig = TextSignatures(signatures={"Kestrel": ["Kestrel"]}, others=["VOLTEK"])
    mark = badge("Kestrel", 300, layout="wordmark")
    cut = mark[:, :mark.shape[1] // 2]  # the frame's right edge hides "trel"
    probs = reader.probabilities([cut])[0]
    assert sig.judge(reader.decode(probs)).silent  # "Kes": too short to say anything itself
    labels, text_labels = ["Kestrel"], np.array([True, False])
    whole = Lexicon(reader.chars, [w for w, _ in sig.known()])
    pieces = Lexicon(reader.chars, [w for w, _ in sig.spelled()])
    p = np.array([0.6, 0.4])
    Fusion().weigh(p, labels, text_labels, sig.costs_by_label(whole.costs(probs)))
    assert p[0] < 0.1, reader.decode(probs)  # spelling all of Kestrel there is dear
    p = np.array([0.6, 0.4])
    Fusion().weigh(p, labels, text_labels, *sig.weights(pieces.costs(probs)))
    assert p[0] == pytest.approx(0.6)  # "KES" is cheap: the head's yes is kept


def test_a_cheap_piece_keeps_the_heads_yes_but_never_adds_one():
    labels, text_labels = ["Orbana"], np.array([True, False])
    whole, pieces = {"Orbana": (7.0, 6.0)}, {"Orbana": (1.0, 4.0)}  # "AA" spells ANA cheaply, ORBANA dearly
    low, high = np.array([0.07, 0.93]), np.array([0.6, 0.4])
    Fusion().weigh(low, labels, text_labels, whole, pieces)
    Fusion().weigh(high, labels, text_labels, whole, pieces)
    assert low[0] == pytest.approx(0.07) and high[0] == pytest.approx(0.6)  # kept, neither lifted


def test_weighing_real_readings_lifts_a_small_mark_and_drops_background_and_the_rival():
    from devtools.synth.scenes import background  # a generated scene's texture

    reader = load_reader()
    sig = TextSignatures(signatures={"Voltix": ["VOLTIX"]}, others=["VOLTEK"])
    lexicon = Lexicon(reader.chars, [w for w, _ in sig.known()])
    small = {w: cv2.GaussianBlur(cv2.resize(badge(w, 240), None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA),
                                 (3, 3), 0) for w in ("VOLTIX", "VOLTEK")}
    crops = {"mark": small["VOLTIX"], "rival": small["VOLTEK"],
             "background": np.ascontiguousarray(background(np.random.default_rng(0), 320, 180)[60:86, 100:180])}
    after = {}
    for name, crop in crops.items():
        probs = np.array([0.45, 0.3, 0.25])
        Fusion().weigh(probs, ["Voltix", "Acme"], np.array([True, False, False]),
                       sig.costs_by_label(lexicon.costs(reader.probabilities([crop])[0])))
        after[name] = float(probs[0])
    assert after["mark"] > 0.9 and after["background"] < 0.3, after  # from 0.45: lifted, pushed down
    assert after["rival"] < 0.45, after


def test_a_cut_reading_does_not_outvote_the_word_read_whole():
    from shared.models.text.match import consensus

    # AXIO sits within the tolerance of AXIOM, AXIC and itself; AXIOM was read whole 13 times
    readings = [reading("AXIOM")] * 13 + [reading("AXIC"), reading("AXIO")]
    assert consensus(readings) == ("AXIOM", 14)


def test_signatures_are_learned_from_labeled_boxes_and_rivals_from_the_rest():
    from shared.models.local.base import load_base

    # Given frames with two brands boxed and a rival's look-alike left unlabeled
    rng = np.random.default_rng(5)
    images = []
    for n in range(6):
        frame = np.full((360, 640, 3), (40, 110, 60), np.uint8)
        frame = np.clip(frame + rng.normal(0, 6, frame.shape), 0, 255).astype(np.uint8)
        boxes = []
        for word, label, x, y in (("VOLTIX", "Voltix", 40, 40), ("Nordane", "Nordane", 330, 60)):
            mark = badge(word, int(rng.integers(150, 220)), seed=n, layout="badge" if label == "Voltix" else "word")
            frame[y:y + mark.shape[0], x:x + mark.shape[1]] = mark
            boxes.append((label, (x, y, x + mark.shape[1], y + mark.shape[0])))
        rival = badge("VOLTEK", 200, seed=n)
        frame[230:230 + rival.shape[0], 200:200 + rival.shape[1]] = rival
        images.append((frame, boxes))
    # When signatures are learned
    sig = learn_signatures(images, ["Voltix", "Nordane", "Kestrel"], load_base(), load_reader())
    # Then each labeled brand reads as its word, the label never seen has none, the rival is known
    assert sig.signatures == {"Voltix": ["VOLTIX"], "Nordane": ["Nordane"]}
    assert sig.support["Voltix"] == [6, 6] and sig.support["Kestrel"] == [0, 0]
    assert "VOLTEK" in sig.others
    assert sig.describe("Nordane") == "reads as Nordane in 6 of 6 boxes"
    assert sig.describe("Kestrel") == "no text signature (not read as a word)"
    # and the user's words win over what was read
    fixed = sig.with_user_words({"Kestrel": "KESTREL", "Nordane": ""})
    assert fixed.signatures == {"Voltix": ["VOLTIX"], "Kestrel": ["KESTREL"]}
    assert fixed.describe("Kestrel") == "reads as KESTREL (set by hand)"


def test_brand_lists_name_the_problem():
    assert parse_words("voltix, norda ,axiom-labs=AXIOM LABS") == {
        "voltix": "voltix", "norda": "norda", "axiom-labs": "AXIOM LABS"}
    for spec, problem in (("", "no brand given"), ("=WORD", "a label is needed"), ("a b c!", "label 'a b c!'"),
                          ("x=-", "too few letters"), ("ab,ab", "given twice")):
        with pytest.raises(ValueError, match=problem):
            parse_words(spec)


def test_semi_global_distance_finds_a_word_inside_a_longer_reading():
    assert distance("Kestrel", "KKESTREL") == 0.0
    assert distance("VOLTIX", "VOLTEK") == pytest.approx(2 / 6)
    assert distance("VOLTIX", "VOLTEK", [1, 1, 1, 1, 0.5, 0.5]) == pytest.approx(1 / 6)


def test_a_frame_with_a_rotated_mark_is_read_by_the_finder():
    from shared.models.text.finder import load_finder

    mark = badge("ORBANA", 420, seed=4)
    frame = np.full((400, 700, 3), 200, np.uint8)
    turned = cv2.warpAffine(mark, cv2.getRotationMatrix2D((mark.shape[1] / 2, mark.shape[0] / 2), 8, 1),
                            (mark.shape[1], mark.shape[0]), borderValue=(200, 200, 200))
    frame[100:100 + turned.shape[0], 120:120 + turned.shape[1]] = turned
    lines = load_finder().find(frame)
    texts = [r.text for r in load_reader().read([line.crop for line in lines])]
    assert any(t.upper().replace(" ", "") == "ORBANA" for t in texts), texts


def _frame(boxes: list[tuple[float, float, float, float]], probs: list[list[float]], embed: list[int]):
    from shared.models.local.detector import Scored
    from shared.models.local.head import Candidates

    n = len(boxes)
    features = np.zeros((n, 49), np.float32)
    for i, e in enumerate(embed):
        features[i, e] = 1.0  # one-hot "which logo" embeddings: equal ones agree, others do not
    cand = Candidates(np.zeros((n, 2), np.int64), np.full(n, 0.5), features, np.array(boxes, np.float32))
    return Scored(cand, np.array(probs, np.float64), (640, 360))


def test_a_clear_reading_carries_along_its_track_and_a_rivals_reading_vetoes_it():
    from shared.models.local.tracks import Carry, carry_identity, link
    from shared.models.text.match import Evidence

    labels = ["Voltix", "Acme"]
    text_labels = np.array([True, False, False])
    # A mark drifting right over four sampled frames (read clearly on the second only), and a
    # second mark elsewhere that reads twice as the rival's word
    frames = [_frame([(100 + 8 * t, 50, 200 + 8 * t, 90), (400, 200, 500, 240)],
                     [[0.3, 0.0, 0.7], [0.6, 0.0, 0.4]], [3, 7]) for t in range(4)]
    frames[1].evidence[0] = Evidence(label="Voltix", word="VOLTIX")
    frames[1].probs[0] = [0.9, 0.0, 0.1]
    for t in (0, 2):
        frames[t].evidence[1] = Evidence(against=True, word="VOLTEK")
        frames[t].probs[1, 0] *= 0.1
    # An unrelated logo passing over the first mark's place: a different embedding, another track
    frames[3] = _frame([(124, 50, 224, 90), (400, 200, 500, 240), (130, 52, 228, 92)],
                       [[0.3, 0.0, 0.7], [0.6, 0.0, 0.4], [0.3, 0.0, 0.7]], [3, 7, 20])
    assert sorted(len(t) for t in link(frames, Carry())) == [1, 4, 4]
    carry_identity(frames, labels, text_labels)
    assert [round(f.probs[0, 0], 2) for f in frames] == [0.75, 0.9, 0.75, 0.75]  # carried, or its own reading
    assert [round(f.probs[1, 0], 2) for f in frames] == [0.06, 0.06, 0.06, 0.06]  # vetoed along the track
    assert frames[3].probs[2, 0] == 0.3  # the passer-by keeps its own score


def test_a_text_only_match_forgives_missing_letters_but_not_letters_read_as_others():
    from shared.models.text.match import misread
    from shared.models.text.spotting import ReadLine, brands_in_lines

    assert misread("VOLTIX", "VOLTEK") == (pytest.approx(2 / 6), 0.0)  # a rival's word
    assert misread("Nordane", "RDANE") == (0.0, pytest.approx(2 / 7))  # cut by the frame
    text = TextSignatures().with_user_words({"Nordane": "Nordane", "Axiom": "AXIOM LABS"})
    lines = [ReadLine((10, 10, 110, 40), reading("rdane")), ReadLine((300, 10, 400, 40), reading("Nordale")),
             ReadLine((10, 200, 110, 240), reading("AXIOM")), ReadLine((30, 245, 90, 260), reading("LABS")),
             ReadLine((300, 200, 400, 240), reading("AXION"))]
    found = brands_in_lines(lines, text, (640, 360))
    assert sorted(zip(found.labels.tolist(), found.xyxy[:, 1].tolist())) == [("Axiom", 200.0), ("Nordane", 10.0)]
    assert found.xyxy[found.labels == "Axiom"][0, 3] == 260.0  # the name and its tagline, boxed as one
