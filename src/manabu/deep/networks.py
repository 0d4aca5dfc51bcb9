"""The networks that image families train: a ResNet sized to the data (He et al., 2016).

Its parameters are named as torchvision's ResNets name theirs (``conv1``, ``bn1``, ``layer1.0.conv1``,
``fc``), so a torchvision or timm ResNet checkpoint of the same shape loads into it. A network is
described by a plain dict (``resnet_config``), kept in the model folder's sidecar, so that a saved
model is rebuilt from data, never from pickled code.

Importing this module imports torch: the families import it inside the functions that train.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

SMALL_STEM_BELOW = 64  # images smaller than this keep their resolution in the stem (digits, MNIST)
FULL_RESOLUTION_UP_TO = 12  # the first stage of images this small (8x8 digits) does not halve them
LAST_MAP = 7  # stages are added until the feature map is at most this many pixels a side


def resnet_config(in_channels: int, n_outputs: int, side: int, width: int = 32, depth: int = 1,
                  dropout: float = 0.0) -> dict[str, Any]:
    """A ResNet for images of ``side`` pixels: a 3x3 stem for small images, or ImageNet's 7x7
    stride-2 stem and pooling for larger ones; then stages of ``depth`` residual blocks, each
    halving the map (the first one too, unless the image is tiny or the stem already
    shrank it) and doubling ``width``, until the map is at most LAST_MAP pixels (two to four
    stages). Most of a network's work is in its first, largest maps: halving them at once
    made MNIST's epochs several times faster for the same accuracy."""
    stem = "small" if side < SMALL_STEM_BELOW else "imagenet"
    size = side if stem == "small" else math.ceil(side / 4)
    strides = [1 if stem == "imagenet" or side <= FULL_RESOLUTION_UP_TO else 2]
    size = math.ceil(size / strides[0])
    while len(strides) < 2 or (size > LAST_MAP and len(strides) < 4):
        strides.append(2)
        size = math.ceil(size / 2)
    return {"architecture": "resnet", "in_channels": int(in_channels), "n_outputs": int(n_outputs),
            "stem": stem, "widths": [int(width) * 2 ** i for i in range(len(strides))],
            "blocks": [int(depth)] * len(strides), "strides": strides, "dropout": float(dropout)}


def build_network(config: dict[str, Any]) -> nn.Module:
    """The network a config describes (``resnet_config``, or one read from a sidecar)."""
    if config.get("architecture") != "resnet":
        raise ValueError(f"unknown architecture {config.get('architecture')!r}")
    if config.get("block", "basic") not in BLOCKS:
        raise ValueError(f"unknown residual block {config.get('block')!r}")
    return ResNet(config["in_channels"], config["n_outputs"], config["widths"], config["blocks"],
                  config["stem"], config.get("dropout", 0.0), config.get("strides"), config.get("block", "basic"),
                  config.get("stem_width"))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and the shortcut around them (torchvision's ``BasicBlock``)."""

    def __init__(self, in_width: int, width: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_width, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = None
        if stride != 1 or in_width != width:
            self.downsample = nn.Sequential(nn.Conv2d(in_width, width, 1, stride, bias=False), nn.BatchNorm2d(width))

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + shortcut)


class Bottleneck(nn.Module):
    """A 1x1 convolution narrowing to ``width``, a 3x3 one (with the stride), a 1x1 one widening
    to ``EXPANSION`` times ``width``, and the shortcut (torchvision's ``Bottleneck``: ResNet-50,
    101 and 152, the guide's transfer-learning base)."""

    EXPANSION = 4

    def __init__(self, in_width: int, width: int, stride: int) -> None:
        super().__init__()
        out_width = width * self.EXPANSION
        self.conv1 = nn.Conv2d(in_width, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_width)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_width != out_width:
            self.downsample = nn.Sequential(nn.Conv2d(in_width, out_width, 1, stride, bias=False),
                                            nn.BatchNorm2d(out_width))

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + shortcut)


BLOCKS = {"basic": (BasicBlock, 1), "bottleneck": (Bottleneck, Bottleneck.EXPANSION)}


class ResNet(nn.Module):
    def __init__(self, in_channels: int, n_outputs: int, widths: list[int], blocks: list[int],
                 stem: str = "small", dropout: float = 0.0, strides: list[int] | None = None,
                 block: str = "basic", stem_width: int | None = None) -> None:
        super().__init__()
        block_class, expansion = BLOCKS[block]
        stem_width = stem_width or widths[0]
        if stem == "small":
            self.conv1 = nn.Conv2d(in_channels, stem_width, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(in_channels, stem_width, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(stem_width)
        self.relu = nn.ReLU(inplace=True)
        in_width = stem_width
        strides = strides or [1] + [2] * (len(widths) - 1)  # torchvision's
        for index, (width, n_blocks, stride) in enumerate(zip(widths, blocks, strides), start=1):
            layer = [block_class(in_width if i == 0 else width * expansion, width, stride if i == 0 else 1)
                     for i in range(n_blocks)]
            setattr(self, f"layer{index}", nn.Sequential(*layer))
            in_width = width * expansion
        self.n_stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_width, n_outputs)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x):
        """The last stage's feature map (Grad-CAM reads it)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for index in range(1, self.n_stages + 1):
            x = getattr(self, f"layer{index}")(x)
        return x

    def forward(self, x):
        return self.fc(self.dropout(torch.flatten(self.avgpool(self.features(x)), 1)))
