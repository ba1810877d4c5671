"""The base network (torch, for pretraining only; the product runs its ONNX export).

A small fully convolutional net: a depthwise-separable backbone down to stride 32, a light FPN
back to stride 4, and three dense heads there: logo-centre heat, box size, and a unit-length
embedding that says *which* logo a centre belongs to. A pooled scene vector serves concept mode.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

EMBED_DIM = 48
SCENE_DIM = 128
CHANNELS = (32, 64, 128, 192)  # at strides 4, 8, 16, 32


def conv_bn(cin: int, cout: int, k: int = 3, s: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class DWBlock(nn.Module):
    """Depthwise 3x3 then pointwise 1x1, residual when shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pw = conv_bn(cin, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(self.dw(x))
        return F.relu(y + x if self.residual else y)


class BaseNet(nn.Module):
    def __init__(self, width: int = 96) -> None:
        super().__init__()
        c4, c8, c16, c32 = CHANNELS
        self.stem = nn.Sequential(conv_bn(3, 24, 3, 2), DWBlock(24, c4, 2), DWBlock(c4, c4))  # /4
        self.s8 = nn.Sequential(DWBlock(c4, c8, 2), *[DWBlock(c8, c8) for _ in range(3)])  # /8
        self.s16 = nn.Sequential(DWBlock(c8, c16, 2), *[DWBlock(c16, c16) for _ in range(4)])  # /16
        self.s32 = nn.Sequential(DWBlock(c16, c32, 2), *[DWBlock(c32, c32) for _ in range(3)])  # /32
        self.lat = nn.ModuleList([conv_bn(c, width, 1) for c in CHANNELS])
        self.smooth = nn.Sequential(DWBlock(width, width), DWBlock(width, width))
        self.heat = nn.Conv2d(width, 1, 1)
        self.size = nn.Conv2d(width, 2, 1)
        self.embed = nn.Sequential(conv_bn(width, width, 3, groups=width), nn.Conv2d(width, EMBED_DIM, 1))
        self.scene = nn.Linear(c32, SCENE_DIM)
        nn.init.constant_(self.heat.bias, -4.6)  # start near "no logo anywhere"

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        x = (image - 128.0) / 64.0  # BGR 0..255 in, normalised inside the graph
        c4 = self.stem(x)
        c8 = self.s8(c4)
        c16 = self.s16(c8)
        c32 = self.s32(c16)
        p = self.lat[3](c32)
        for lat, c in ((self.lat[2], c16), (self.lat[1], c8), (self.lat[0], c4)):
            p = F.interpolate(p, size=c.shape[-2:], mode="nearest") + lat(c)
        p = self.smooth(p)
        heat = self.heat(p)  # logits
        size = self.size(p)  # log(w / 4), log(h / 4)
        embed = F.normalize(self.embed(p), dim=1)
        scene = self.scene(c32.mean(dim=(2, 3)))
        return heat, size, embed, scene


class Exported(nn.Module):
    """What the product runs: probabilities, 3x3 peak mask, sizes, embeddings, scene vector."""

    def __init__(self, net: BaseNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        heat, size, embed, scene = self.net(image)
        heat = torch.sigmoid(heat)
        peaks = (heat == F.max_pool2d(heat, 3, 1, 1)).to(heat.dtype) * heat
        return peaks, size, embed, F.normalize(scene, dim=1)
