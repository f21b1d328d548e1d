"""A low-light copy of a colour crop: what night does to a colour camera, for training on the first frame.

The classifier learns the target from one frame; a night that falls later leaves it scoring features it never saw
(the contrast gain of :mod:`.contrast` restores the contrast, not the lost signal). Training also on a dimmed and
noisy copy of the first crop, seen through the same gain, teaches it what the target looks like then. Model: the
camera's signal times ``light`` plus Gaussian read noise of ``noise`` grey levels, quantized to 8 bits.
"""
from __future__ import annotations

import numpy as np
import torch


def low_light(crop: torch.Tensor, light: float, noise: float, rng: np.random.Generator) -> torch.Tensor:
    """(1, C, S, S) 0-255 crop -> the same scene at ``light`` times the light, with sensor noise."""
    grain = torch.from_numpy(rng.normal(0.0, noise, crop.shape).astype(np.float32))
    return (crop * light + grain).round_().clamp_(0.0, 255.0)
