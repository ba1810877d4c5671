"""Pretraining helpers (torch, the `[pretrain]` extra: skipped where it is not installed)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from devtools.pretrain.data import STRIDE
from devtools.pretrain.train import augment


def batch_with_marked_centres() -> dict:
    """Two 64x96 images, one bright 4x4 block per logo centre cell, targets at those cells."""
    n, hs, ws = 2, 16, 24
    centers = torch.tensor([[0, 3, 5, 7], [0, 12, 20, 8], [1, 0, 0, 9]])
    images = torch.full((n, 3, hs * STRIDE, ws * STRIDE), 40.0)
    heat, size, mask = torch.zeros(n, 1, hs, ws), torch.zeros(n, 2, hs, ws), torch.zeros(n, 1, hs, ws)
    for i, y, x, ident in centers.tolist():
        images[i, :, y * STRIDE:(y + 1) * STRIDE, x * STRIDE:(x + 1) * STRIDE] = 250.0
        heat[i, 0, y, x], mask[i, 0, y, x], size[i, :, y, x] = 1.0, 1.0, float(ident)
    return {"images": images, "heat": heat, "size": size, "size_mask": mask, "scene": torch.zeros(n, dtype=torch.long),
            "centers": centers}


@pytest.mark.parametrize("seed", range(6))
def test_a_reused_batch_moves_its_targets_with_its_pixels(seed: int) -> None:
    b = batch_with_marked_centres()
    a = augment(b, torch.Generator().manual_seed(seed))
    assert a["images"].shape == b["images"].shape and a["images"].min() >= 0 and a["images"].max() <= 255
    for (i, y, x, ident), (i2, y2, x2, ident2) in zip(b["centers"].tolist(), a["centers"].tolist()):
        assert (i2, ident2) == (i, ident)
        # the targets moved to the cell the logo's pixels moved to
        assert a["heat"][i, 0, y2, x2] == 1 and a["size_mask"][i, 0, y2, x2] == 1 and a["size"][i, 0, y2, x2] == ident
        cell = a["images"][i, :, y2 * STRIDE:(y2 + 1) * STRIDE, x2 * STRIDE:(x2 + 1) * STRIDE].sum(0)
        assert cell.min() == a["images"][i].sum(0).max()
    assert a["heat"].sum() == b["heat"].sum() and torch.equal(a["scene"], b["scene"])
