"""Pretrain the base model on procedural logos, then export it to ONNX with its figures.

    python -m devtools.pretrain.train --minutes 8 --name base-v3 --resume shared/models/local/weights/base-v2.pt --seed 4

Needs torch (`pip install torch`, the `[pretrain]` extra); the product itself only runs the
exported ONNX file with onnxruntime. Reproducible: data come from seeded generators; the
budget is wall-clock time, so a faster machine sees more data (the figures say how much).
Uses a GPU when there is one (on 2 CPU cores it sees ~6 images/s: not a way to train it).
`--resume weights.pt --seed N` continues an earlier run with new data, so several short GPU
sessions add up; the figures keep the running total of images seen.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from dataclasses import fields
from pathlib import Path

import torch
import torch.nn.functional as F

from devtools.pretrain.data import SCENE_KINDS, STRIDE, Chunk, make_chunk
from devtools.pretrain.net import BaseNet, Exported


class ChunkStream(torch.utils.data.IterableDataset):
    """Endless seeded chunks, one seed stride per DataLoader worker.

    Through a DataLoader the chunks reach the trainer as shared-memory tensors; a process pool
    pickled ~11 MB per chunk through a pipe and left the GPU waiting.
    """

    def __init__(self, first_seed: int) -> None:
        self.first_seed = first_seed

    def __iter__(self):
        import cv2

        from devtools.synth.scenes import photo_library

        info = torch.utils.data.get_worker_info()
        wid, n = (info.id, info.num_workers) if info else (0, 1)
        torch.set_num_threads(1)
        cv2.setNumThreads(1)
        photos = photo_library()
        for seed in range(self.first_seed + wid, self.first_seed + 10_000_000, n):
            yield as_tensors(make_chunk(seed, photos=photos, id_base=seed * 1000))


def as_tensors(chunk: Chunk) -> dict[str, torch.Tensor]:
    return {f.name: torch.from_numpy(getattr(chunk, f.name)) for f in fields(chunk)}


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss on logo-centre heat."""
    p = torch.sigmoid(logits.float()).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1 - pos
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = -(torch.log(1 - p) * p ** 2 * (1 - target) ** 4 * neg).sum()
    return (pos_loss + neg_loss) / pos.sum().clamp(min=1)


def supcon_loss(embed: torch.Tensor, ids: torch.Tensor, tau: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss: appearances of one design together, all others apart."""
    sim = embed.float() @ embed.float().T / tau
    n = sim.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=sim.device)
    sim = sim.masked_fill(eye, -1e9)
    pos = (ids[:, None] == ids[None, :]) & ~eye
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    has_pos = pos.any(dim=1)
    if not has_pos.any():
        return sim.new_zeros(())
    per_anchor = -(log_prob * pos).sum(1)[has_pos] / pos.sum(1)[has_pos]
    return per_anchor.mean()


def batch_to(chunks: list[dict[str, torch.Tensor]], device: torch.device) -> dict[str, torch.Tensor]:
    on = [{k: v.to(device, non_blocking=True) for k, v in c.items()} for c in chunks]
    offset, centers = 0, []
    for c in on:
        cc = c["centers"].clone()
        cc[:, 0] += offset
        centers.append(cc)
        offset += len(c["images"])
    cat = lambda name: torch.cat([c[name] for c in on])
    return {"images": cat("images").permute(0, 3, 1, 2).float(), "heat": cat("heat"), "size": cat("size"),
            "size_mask": cat("size_mask"), "scene": cat("scene"), "centers": torch.cat(centers)}


def augment(b: dict[str, torch.Tensor], gen: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """Another look at a batch already on the device, for `--reuse`: new light per image, one
    channel order and one shift (whole stride-4 cells, wrapping) for the batch, targets moved along.

    Batch-wide choices keep each design looking alike across its appearances, which the
    contrastive loss needs; no flips (mirrored lettering is not a logo).
    """
    images = b["images"]
    n, dev = images.shape[0], images.device
    rand = lambda *shape: torch.rand(*shape, generator=gen, device="cpu").to(dev)
    gain = 1 + 0.3 * (2 * rand(n, 3, 1, 1) - 1)
    bias = 30 * (2 * rand(n, 1, 1, 1) - 1)
    images = (images * gain + bias).clamp(0, 255)[:, torch.randperm(3, generator=gen).to(dev)]
    hs, ws = b["heat"].shape[-2:]
    dy, dx = (int(v) for v in torch.randint(-8, 9, (2,), generator=gen))
    roll = lambda t, k: torch.roll(t, (dy * k, dx * k), dims=(-2, -1))
    centers = b["centers"].clone()
    centers[:, 1] = (centers[:, 1] + dy) % hs
    centers[:, 2] = (centers[:, 2] + dx) % ws
    return {"images": roll(images, STRIDE), "heat": roll(b["heat"], 1), "size": roll(b["size"], 1),
            "size_mask": roll(b["size_mask"], 1), "scene": b["scene"], "centers": centers}


def losses(model: BaseNet, b: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    heat, size, embed, scene = model(b["images"])
    c = b["centers"]
    emb = embed[c[:, 0], :, c[:, 1], c[:, 2]]
    mask = b["size_mask"]
    size_l = (F.l1_loss(size.float(), b["size"], reduction="none") * mask).sum() / mask.sum().clamp(min=1)
    return {"heat": focal_loss(heat, b["heat"]), "size": size_l, "embed": supcon_loss(emb, c[:, 3]),
            "scene": F.cross_entropy(scene.float()[:, :len(SCENE_KINDS)], b["scene"])}


@torch.no_grad()
def evaluate(model: BaseNet, chunks: list[Chunk], device: torch.device) -> dict[str, float]:
    """Held-out chunks: centre recall at heat 0.3, and nearest-neighbour identity accuracy."""
    model.eval()
    b = batch_to([as_tensors(c) for c in chunks], device)
    heat, _, embed, _ = model(b["images"])
    p = torch.sigmoid(heat.float())
    peaks = (p == F.max_pool2d(p, 3, 1, 1)) & (p > 0.3)
    c = b["centers"]
    near = F.max_pool2d(peaks.float(), 3, 1, 1)[c[:, 0], 0, c[:, 1], c[:, 2]] > 0
    false_peaks = peaks.sum().item() - near.sum().item()
    emb = embed[c[:, 0], :, c[:, 1], c[:, 2]].float()
    sim = emb @ emb.T
    sim.fill_diagonal_(-2)
    nn_ids = c[sim.argmax(1), 3]
    has_twin = (c[:, 3][:, None] == c[:, 3][None, :]).sum(1) > 1
    acc = (nn_ids == c[:, 3])[has_twin].float().mean().item()
    model.train()
    return {"centre_recall": near.float().mean().item(), "false_peaks_per_image": false_peaks / len(b["images"]),
            "identity_nn_accuracy": acc}


def export(model: BaseNet, path: Path) -> None:
    model = model.float().cpu().eval()
    example = torch.rand(1, 3, 352, 640) * 255
    args = (Exported(model), example, str(path))
    kwargs = {"input_names": ["image"], "output_names": ["peaks", "size", "embed", "scene"],
              "dynamic_axes": {"image": {0: "n", 2: "h", 3: "w"}}, "opset_version": 17}
    try:
        torch.onnx.export(*args, **kwargs, dynamo=False)  # the TorchScript exporter: plain, dynamic sizes
    except TypeError:  # torch releases before the dynamo switch
        torch.onnx.export(*args, **kwargs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--out", type=Path, default=Path("shared/models/local/weights"))
    ap.add_argument("--name", default="base-next",
                    help="a new name (base-v3, ...): heads keep the name of the base they were trained on")
    ap.add_argument("--chunks-per-step", type=int, default=8)
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    ap.add_argument("--width", type=int, default=96)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--reuse", type=int, default=1,
                    help="steps per drawn batch, the repeats augmented on the device: drawing the images on "
                         "the CPUs is the limit (an H200 waited for data ~70 %% of the time with 14 workers)")
    ap.add_argument("--seed", type=int, default=1, help="data seed range; give each resumed run a new one")
    ap.add_argument("--resume", type=Path, help="continue from these weights (a .pt, its .json beside it): "
                                                "several short GPU runs add up to a long one")
    args = ap.parse_args()
    if args.reuse < 1:
        ap.error("--reuse must be 1 or more")
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = BaseNet(args.width)
    prior: dict = {}
    if args.resume:
        model.load_state_dict(torch.load(args.resume, map_location="cpu"))
        meta = args.resume.with_suffix(".json")
        prior = json.loads(meta.read_text()) if meta.exists() else {}
    model = model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    budget = args.minutes * 60
    held_out = [make_chunk(10_000_000 + i, id_base=(10_000_000 + i) * 1000) for i in range(4)]
    log: list[dict] = []
    before = evaluate(model, held_out, device) if args.resume else None
    gen = torch.Generator().manual_seed(args.seed)
    started = last_save = time.time()
    step = images = 0
    waited = 0.0  # seconds the trainer waited for data: tells whether the GPU or the CPUs are the limit
    loader = torch.utils.data.DataLoader(
        ChunkStream(args.seed * 1_000_000), batch_size=None, num_workers=args.workers,
        multiprocessing_context="spawn",  # fork after torch has started its threads can deadlock
        pin_memory=device.type == "cuda", prefetch_factor=4)
    stream = iter(loader)
    while True:
        elapsed = time.time() - started
        if elapsed > budget:
            break
        frac = elapsed / budget
        lr = args.lr * (min(1.0, frac / 0.05) * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        if step % args.reuse == 0:
            t = time.time()
            chunks = [next(stream) for _ in range(args.chunks_per_step)]
            waited += time.time() - t if step else 0.0  # the first wait is the workers starting
            drawn = batch_to(chunks, device)
            b = drawn
            images += len(b["images"])
        else:
            b = augment(drawn, gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            parts = losses(model, b)
        loss = parts["heat"] + parts["size"] + parts["embed"] + 0.2 * parts["scene"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        if time.time() - last_save > 60:  # survive a killed run: the latest weights are on disk
            args.out.mkdir(parents=True, exist_ok=True)
            torch.save(model.state_dict(), args.out / f"{args.name}.pt")
            print(json.dumps({"step": step, "s": round(elapsed, 1), "held_out": evaluate(model, held_out, device)}),
                  flush=True)
            last_save = time.time()
        if step % 25 == 0 or step == 1:
            row = {"step": step, "s": round(elapsed, 1), "images": images, "lr": round(lr, 5),
                   "waited_s": round(waited, 1), **{k: round(v.item(), 4) for k, v in parts.items()}}
            log.append(row)
            print(json.dumps(row), flush=True)
    del stream, loader  # stops the workers
    wall = time.time() - started
    figures = {"name": args.name, "device": torch.cuda.get_device_name() if device.type == "cuda" else platform.processor(),
               "torch": torch.__version__, "minutes": args.minutes, "wall_s": round(wall, 1), "steps": step,
               "images_seen": images, "images_per_s": round(images / wall, 1), "reuse": args.reuse,
               "waited_for_data_s": round(waited, 1),
               "width": args.width,
               "params": sum(p.numel() for p in model.parameters()), "held_out": evaluate(model, held_out, device),
               "held_out_before": before,
               "resumed_from": str(args.resume) if args.resume else None,
               "images_seen_total": prior.get("images_seen_total", prior.get("images_seen", 0)) + images,
               "log": log[-40:]}
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out / f"{args.name}.pt")
    (args.out / f"{args.name}.json").write_text(json.dumps(figures, indent=1))
    export(model, args.out / f"{args.name}.onnx")  # last: a run cut short still has weights + figures
    print(json.dumps({k: v for k, v in figures.items() if k != "log"}, indent=1))


if __name__ == "__main__":
    main()
