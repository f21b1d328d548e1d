"""RoIAlign with ``grid_sample``: one pooled (C, P, P) map per box from a shared feature map.

This is what makes CMI real time (RT-MDNet style): the backbone runs once per frame and
modality, and the N candidates are cut from its output instead of N CNN passes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def roi_align(features: torch.Tensor, boxes: torch.Tensor, stride: float, size: int, sampling: int = 2) -> torch.Tensor:
    """Average of ``sampling``^2 bilinear samples per bin; zero outside the map.

    features: (1, C, h, w); boxes: (N, 4) x1, y1, x2, y2 in input pixels -> (N, C, size, size).
    Feature cell (i, j) is centred on input pixel ((j + 0.5) * stride, (i + 0.5) * stride).
    """
    _, channels, h, w = features.shape
    n = boxes.shape[0]
    if n == 0:
        return features.new_zeros((0, channels, size, size))
    grid_n = size * sampling
    # Sample positions inside each box, in feature-map coordinates (N, grid_n).
    steps = (torch.arange(grid_n, device=boxes.device, dtype=features.dtype) + 0.5) / grid_n
    b = boxes.to(features.dtype) / stride - 0.5
    xs = b[:, 0:1] + steps[None] * (b[:, 2:3] - b[:, 0:1])
    ys = b[:, 1:2] + steps[None] * (b[:, 3:4] - b[:, 1:2])
    # grid_sample with align_corners=True maps -1/+1 to the first/last cell centres.
    gx = xs / max(w - 1, 1) * 2 - 1
    gy = ys / max(h - 1, 1) * 2 - 1
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)  # (N, gn, gn, 2)
    sampled = F.grid_sample(features, grid.reshape(1, n * grid_n, grid_n, 2), mode="bilinear",
                            padding_mode="zeros", align_corners=True)  # (1, C, N*gn, gn)
    sampled = sampled.reshape(channels, n, grid_n, grid_n).permute(1, 0, 2, 3)  # (N, C, gn, gn)
    return F.avg_pool2d(sampled, sampling) if sampling > 1 else sampled
