"""Automatic gain of search crops (tracker.tracking.contrast)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from tracker.tracking.contrast import ContrastGain, channel_stats, contrast as stats_contrast


def contrast(crop: torch.Tensor) -> float:
    return stats_contrast(channel_stats(crop))


def textured(seed: int = 0, size: int = 64) -> torch.Tensor:
    """A smooth random scene, 40-220 (image structure is larger than a pixel; sensor noise is not)."""
    rng = np.random.default_rng(seed)
    field = cv2.GaussianBlur(rng.normal(0, 1, (size, size, 3)).astype(np.float32), (0, 0), 3)
    field = (field - field.min()) / (field.max() - field.min())
    return torch.from_numpy(40 + 180 * field).permute(2, 0, 1)[None].float()


def test_a_darkened_crop_gets_the_first_crops_contrast_and_mean_back():
    gain = ContrastGain(max_gain=8)
    first = textured()
    assert torch.equal(gain("color", first), first)  # the first crop is the reference, unchanged
    dark = first * 0.15  # night: a seventh of the contrast, near black
    restored = gain("color", dark)
    assert contrast(restored) == pytest.approx(contrast(first), rel=0.02)
    assert restored.mean(dim=(2, 3)).numpy() == pytest.approx(first.mean(dim=(2, 3)).numpy(), abs=1.0)
    assert restored.min() >= 0 and restored.max() <= 255


@pytest.mark.parametrize("factor", [1.2, 1.0, 0.6])
def test_crops_that_kept_half_the_contrast_are_left_alone(factor):
    gain = ContrastGain(max_gain=8)
    gain("ir", textured(0))
    crop = textured(0) * factor
    assert torch.equal(gain("ir", crop), crop)


def test_gain_is_capped_and_channels_keep_their_own_reference():
    gain = ContrastGain(max_gain=2)
    gain("color", textured(0))
    gain("ir", textured(1)[:, :1] * 0.1)  # a low-contrast first thermal crop is its channel's reference
    flat = textured(2) * 0.1
    assert contrast(gain("color", flat)) == pytest.approx(2 * contrast(flat), rel=0.02)
    ir = textured(1)[:, :1] * 0.1  # as contrasted as the thermal reference: left alone
    assert torch.equal(gain("ir", ir), ir)


def test_denoise_smooths_what_the_gain_stretches():
    rng = np.random.default_rng(4)
    gain_only, denoised = ContrastGain(8), ContrastGain(8, denoise=1.0)
    first = textured()
    for g in (gain_only, denoised):
        g("color", first)
    noisy = first * 0.15 + torch.from_numpy(rng.normal(0, 3, first.shape)).float()
    a, b = gain_only("color", noisy), denoised("color", noisy)
    # neighbouring pixels of the smoothed crop differ less; both end at the reference contrast
    assert float((b[..., 1:] - b[..., :-1]).abs().mean()) < 0.7 * float((a[..., 1:] - a[..., :-1]).abs().mean())
    assert contrast(b) == pytest.approx(contrast(first), rel=0.05)


def test_reset_forgets_the_reference():
    gain = ContrastGain(8)
    gain("color", textured(0))
    gain.reset()
    dark = textured(1) * 0.1
    assert torch.equal(gain("color", dark), dark)


def test_off_is_the_identity():
    gain = ContrastGain(1.0)
    gain("color", textured(0))
    dark = textured(1) * 0.1
    assert torch.equal(gain("color", dark), dark)
