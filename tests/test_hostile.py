"""Hostile input: whatever a queue body, a manifest, a COCO file or a label import holds, the outcome is
a valid result or the project's own error naming the problem, never another exception (a traceback).

The strategies live in tests/hostile_inputs.py; bench/hostile.py runs them with many more examples and
counts them. Examples are derandomized so a failure here is the same failure on every machine.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.models.manifest import ManifestError, parse_manifest
from tests import hostile_inputs
from tests.hostile_inputs import COCO_DOC, GT_CONCEPT_LINE, GT_OBJECT_LINE

FAMILIES = {f.name: f for f in hostile_inputs.families()}
HOSTILE = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", list(FAMILIES))
def test_outcome_is_a_result_or_a_named_error(name: str) -> None:
    family = FAMILIES[name]

    @HOSTILE
    @given(family.inputs)
    def check(value: object) -> None:
        # Given any input of this family / When it is parsed / Then only the project's errors come out,
        # with a message (the analyst reads it)
        try:
            family.call(value)
        except family.allowed as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"

    check()


@HOSTILE
@given(labels=st.lists(st.text(min_size=1, max_size=12).filter(str.strip), min_size=1, max_size=3, unique=True),
       ascii_only=st.booleans())
def test_any_unicode_label_reads_back_as_written(labels: list[str], ascii_only: bool) -> None:
    # Given a valid manifest whose labels hold any characters (U+2028, \x1c… split str.splitlines),
    # written raw or escaped / When it is read / Then every line reads, with its labels as written
    lines = []
    for n, label in enumerate(labels * 3):
        line = {**GT_CONCEPT_LINE, "source-ref": f"images/{n}.jpg",
                "label-metadata": {**GT_CONCEPT_LINE["label-metadata"], "class-name": label}}
        lines.append(json.dumps(line, ensure_ascii=ascii_only))
    dataset = parse_manifest("\n".join(lines))
    assert sorted(dataset.labels) == sorted(labels)
    assert [item.labels for item in dataset.items] == [[label] for label in labels * 3]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_box_is_refused_by_name(value: str) -> None:
    # Given a box whose left is NaN or infinite (Python's json writes these tokens) / Then the line is named
    line = json.dumps(GT_OBJECT_LINE).replace('"left": 10', f'"left": {value}')
    with pytest.raises(ManifestError, match="line 1: box 1 .* needs numeric left"):
        parse_manifest(line)
    coco = json.dumps(COCO_DOC).replace("[10, 20, 100, 50]", f"[{value}, 20, 100, 50]")
    with pytest.raises(ManifestError, match="annotation 1 .*bbox must be"):
        parse_manifest(coco)


NULL_IDS = {"images": [{"id": None, "file_name": "a.jpg", "width": 64, "height": 48}],
            "categories": [{"id": None, "name": "Acme"}], "annotations": [{"id": 1, "bbox": [1, 2, 3, 4]}]}
HUGE_BOX = json.dumps(COCO_DOC).replace("[10, 20, 100, 50]", f"[1{'0' * 400}, 20, 100, 50]")


@pytest.mark.parametrize("name,value", [
    # what bench/hostile.py found past the examples above, kept as fixed cases
    ("COCO training files", json.dumps(NULL_IDS)),  # null ids, an annotation naming none: KeyError
    ("label imports (Ground Truth, COCO, Label Studio, CVAT, zip)", json.dumps(NULL_IDS)),
    ("label imports (Ground Truth, COCO, Label Studio, CVAT, zip)", HUGE_BOX),  # 10**400: OverflowError
    ("COCO training files", HUGE_BOX),
    ("message decoding (worker queue bodies)", hostile_inputs.deep(100_000)),  # RecursionError
    ("Ground Truth manifests (object and concept)", "\n".join([json.dumps(GT_OBJECT_LINE), "[" * 100_000])),
])
def test_cases_found_by_the_bench(name: str, value: str) -> None:
    family = FAMILIES[name]
    try:
        family.call(value)
    except family.allowed as exc:
        assert str(exc).strip()
