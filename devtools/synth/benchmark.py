"""The generated brand benchmark: brands, look-alike distractors, labeled training frames and
test frames, as a user's footage would give them.

Brands are drawn in the benchmark's own lettering (`style="bench"`), so nothing the base model
was pretrained on looks exactly like them. Each frame: a background; with probability
`p_brand` one to three brand logos; in any frame up to two distractors (look-alikes of brands
and unrelated logos) that must not be reported. Logos span 4-25 % of the frame width, tilted,
rotated, relit, sometimes occluded, then the frame is blurred, noised and JPEG-compressed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from devtools.synth import logos, scenes, typeset
from shared.models.local import compose

BRAND_NAMES = ("Acme", "Borealis", "Cobalt", "Dynamo", "Eclipse", "Fjord", "Gala", "Helix")


@dataclass
class Logo:
    name: str
    design: logos.Design
    sprite: np.ndarray  # BGRA, high resolution
    is_brand: bool
    imitates: str | None = None  # a look-alike: the brand it imitates


@dataclass
class Instance:
    label: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels
    is_brand: bool
    width_frac: float


@dataclass
class Frame:
    image: np.ndarray
    instances: list[Instance] = field(default_factory=list)

    @property
    def brands(self) -> set[str]:
        return {i.label for i in self.instances if i.is_brand}


@dataclass
class Benchmark:
    brands: list[Logo]
    distractors: list[Logo]
    train: list[Frame]
    test: list[Frame]


def make_typeset_logos(rng: np.random.Generator, n_lookalikes: int = 3,
                       n_unrelated: int = 2) -> tuple[list[Logo], list[Logo]]:
    """Brands set in ordinary typefaces (devtools/synth/typeset.py), look-alikes in their style."""
    faces = typeset.fonts()
    order = rng.permutation(len(faces))
    brands, designs = [], []
    for n, (word, layout, _) in enumerate(typeset.BRANDS):
        d = typeset.design(rng, word, layout, faces[order[n % len(faces)]])
        designs.append(d)
        brands.append(Logo(word.title(), d, typeset.render(d), True))
    distractors = []
    for n, (word, _, rival) in enumerate(typeset.BRANDS[:n_lookalikes]):
        d = typeset.look_alike(designs[n], rival)
        distractors.append(Logo(f"lookalike-{rival.title()}", d, typeset.render(d), False, brands[n].name))
    for n, word in enumerate(typeset.UNRELATED[:n_unrelated]):
        d = typeset.design(rng, word, str(rng.choice(["badge", "word"])), faces[order[(len(brands) + n) % len(faces)]])
        distractors.append(Logo(f"other-{word.title()}", d, typeset.render(d), False))
    return brands, distractors


def make_logos(rng: np.random.Generator, n_emblems: int = 3, n_wordmarks: int = 2,
               n_lookalikes: int = 2, n_unrelated: int = 2) -> tuple[list[Logo], list[Logo]]:
    brands = []
    kinds = ["combo" if i % 2 else "emblem" for i in range(n_emblems)] + ["wordmark"] * n_wordmarks
    for name, kind in zip(BRAND_NAMES, kinds):
        design = logos.random_design(rng, style="bench", kind=kind)
        if kind == "wordmark":
            design["word"]["decoration"] = "none"  # bare wordmarks: the hard case
        brands.append(Logo(name, design, logos.render(design, 128), True))
    distractors = []
    for i in range(n_lookalikes):
        original = brands[i % len(brands)] if i % 2 == 0 else brands[-1 - i // 2]
        twin = logos.look_alike(original.design, rng)
        distractors.append(Logo(f"lookalike-{i}", twin, logos.render(twin, 128), False, original.name))
    for i in range(n_unrelated):
        design = logos.random_design(rng, style="bench")
        distractors.append(Logo(f"other-{i}", design, logos.render(design, 128), False))
    return brands, distractors


def _overlaps(box: tuple[int, int, int, int], others: Sequence[tuple[int, int, int, int]]) -> bool:
    x0, y0, x1, y1 = box
    for a0, b0, a1, b1 in others:
        iw, ih = min(x1, a1) - max(x0, a0), min(y1, b1) - max(y0, b0)
        if iw > 0 and ih > 0 and iw * ih > 0.05 * min((x1 - x0) * (y1 - y0), (a1 - a0) * (b1 - b0)):
            return True
    return False


def place(image: np.ndarray, logo: Logo, rng: np.random.Generator, taken: list[tuple[int, int, int, int]],
          min_frac: float = 0.04, max_frac: float = 0.25, occlusion: float = 0.2, rotate: float = 25.0,
          perspective: float = 0.18) -> Instance | None:
    """Paste one logo where it does not cover another; returns its instance (None if no room)."""
    H, W = image.shape[:2]
    frac = math.exp(rng.uniform(math.log(min_frac), math.log(max_frac)))
    sprite = compose.relight(compose.warp_sprite(logo.sprite, frac * W, rng, rotate, perspective), rng)
    h, w = sprite.shape[:2]
    if w >= W or h >= H:
        return None
    for _ in range(20):
        x, y = int(rng.integers(0, W - w)), int(rng.integers(0, H - h))
        if not _overlaps((x, y, x + w, y + h), taken):
            break
    else:
        return None
    box = compose.paste(image, sprite, x, y)
    if box is None:
        return None
    if rng.random() < occlusion:
        compose.occlude(image, box, rng)
    taken.append(box)
    return Instance(logo.name, box, logo.is_brand, (box[2] - box[0]) / W)


def make_frame(rng: np.random.Generator, brands: Sequence[Logo], distractors: Sequence[Logo], width: int = 640,
               height: int = 360, photos: Sequence[np.ndarray] = (), p_brand: float = 0.7,
               min_frac: float = 0.04, rotate: float = 25.0) -> Frame:
    image = scenes.background(rng, width, height, photos)
    taken: list[tuple[int, int, int, int]] = []
    instances = []
    if rng.random() < p_brand:
        for _ in range(int(rng.choice([1, 1, 2, 3]))):
            inst = place(image, brands[int(rng.integers(0, len(brands)))], rng, taken, min_frac=min_frac,
                         rotate=rotate)
            if inst:
                instances.append(inst)
    if distractors and rng.random() < 0.5:
        for _ in range(int(rng.integers(1, 3))):
            inst = place(image, distractors[int(rng.integers(0, len(distractors)))], rng, taken, min_frac=min_frac,
                         rotate=rotate)
            if inst:
                instances.append(inst)
    return Frame(compose.degrade(image, rng), instances)


#: The two brand families: `procedural` (invented shapes and lettering, 640x360 frames, logos 4-25 %
#: of the width, turned up to 25 degrees) and `typeset` (ordinary typefaces, 1280x720 broadcast
#: frames, logos 3-25 %, turned up to 12 degrees as boards and shirts are).
FAMILIES = {"procedural": {"size": (640, 360), "min_frac": 0.04, "rotate": 25.0},
            "typeset": {"size": (1280, 720), "min_frac": 0.03, "rotate": 12.0}}


def make_benchmark(seed: int = 7, n_train: int = 60, n_test: int = 300, width: int | None = None,
                   height: int | None = None, photos: Sequence[np.ndarray] | None = None,
                   family: str = "procedural") -> Benchmark:
    rng = np.random.default_rng(seed)
    photos = scenes.photo_library() if photos is None else photos
    spec = FAMILIES[family]
    width, height = width or spec["size"][0], height or spec["size"][1]
    brands, distractors = make_typeset_logos(rng) if family == "typeset" else make_logos(rng)
    frames = [make_frame(rng, brands, distractors, width, height, photos, min_frac=spec["min_frac"],
                         rotate=spec["rotate"]) for _ in range(n_train + n_test)]
    return Benchmark(brands, distractors, frames[:n_train], frames[n_train:])


def export_ground_truth(frames: Sequence[Frame], folder: Path, kind: str = "object",
                        concepts: Sequence[str] | None = None) -> Path:
    """Write frames as JPEGs plus a Ground Truth output manifest beside them (relative source-refs),
    as an analyst's labeling job would have left them. Concept mode takes one label per frame."""
    import cv2

    from shared.models.dataset import Box, Dataset, Item
    from shared.models.manifest import to_ground_truth_lines

    folder.mkdir(parents=True, exist_ok=True)
    items, refs = [], []
    for n, frame in enumerate(frames):
        name = f"frame_{n:04d}.jpg"
        cv2.imwrite(str(folder / name), frame.image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        h, w = frame.image.shape[:2]
        if kind == "object":
            boxes = [Box(i.label, i.box[0], i.box[1], i.box[2] - i.box[0], i.box[3] - i.box[1])
                     for i in frame.instances if i.is_brand]
            items.append(Item(name, w, h, boxes=boxes, line=n + 1))
        else:
            items.append(Item(name, w, h, labels=[concepts[n]], line=n + 1))  # type: ignore[index]
        refs.append(name)
    labels = sorted({b.label for it in items for b in it.boxes} | {lab for it in items for lab in it.labels})
    manifest = folder / "output.manifest"
    manifest.write_text(to_ground_truth_lines(Dataset(kind, labels, items), refs))  # type: ignore[arg-type]
    return manifest
