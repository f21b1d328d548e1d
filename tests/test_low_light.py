"""Low-light training view of the first frame's colour crop (tracker.tracking.low_light)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tracker.tracking.low_light import low_light


def test_low_light_scales_the_signal_adds_the_stated_noise_and_stays_8_bit():
    rng = np.random.default_rng(0)
    scene = torch.from_numpy(rng.uniform(60, 200, (1, 3, 96, 96)).astype(np.float32))
    before = scene.clone()
    dark = low_light(scene, light=0.15, noise=6.0, rng=np.random.default_rng(1))
    assert torch.equal(scene, before)  # the caller's crop is not changed in place
    assert dark.shape == scene.shape and dark.dtype == torch.float32
    assert torch.equal(dark, dark.round()) and dark.min() >= 0 and dark.max() <= 255
    residual = (dark - 0.15 * scene).numpy()
    assert residual.mean() == pytest.approx(0.0, abs=0.2)
    assert residual.std() == pytest.approx(np.hypot(6.0, 1 / 12 ** 0.5), rel=0.05)  # noise and rounding


def test_noise_is_clipped_at_black():
    dark = low_light(torch.zeros(1, 3, 32, 32), light=0.1, noise=5.0, rng=np.random.default_rng(0))
    assert dark.min() == 0 and dark.mean() > 0  # half the draws clip to 0, the other half stay
