"""Pretraining's lettering never includes the benchmark's, so benchmark figures stay honest."""

from __future__ import annotations

import numpy as np
import pytest

from devtools.synth import logos


def faces(style: str, n: int = 300) -> list[str]:
    rng = np.random.default_rng(4)
    designs = [logos.random_design(rng, style=style) for _ in range(n)]
    return [part.get("ttf", "-") for d in designs for part in (d.get("word"), d.get("emblem")) if part]


def test_benchmark_designs_carry_no_pretraining_face():
    assert set(faces("bench")) == {"-"}


def test_pretraining_draws_truetype_faces_that_are_not_the_benchmarks():
    pytest.importorskip("matplotlib")  # the [pretrain] extra brings the faces
    from PIL import ImageFont

    used = faces("pretrain")
    truetype = [f for f in used if f]
    assert 0.3 < len(truetype) / len(used) < 0.7 and len(set(truetype)) > 10  # about half, many faces
    bench_family = ImageFont.load_default(size=20).getname()[0]
    for face in set(truetype):
        assert ImageFont.truetype(str(logos.pretrain_fonts()[face]), 20).getname()[0] != bench_family
        sprite = logos.render({"kind": "wordmark", "style": "pretrain", "word": {
            "text": "Dynamo", "ttf": face, "font": 0, "italic": False, "thickness": 1, "color": (0, 0, 255),
            "decoration": "none", "plate_color": (0, 0, 0), "deco_color": (0, 0, 0)}}, 48)
        assert sprite.shape[0] == 48 and sprite.shape[1] > 96 and sprite[..., 3].max() == 255
