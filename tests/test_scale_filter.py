"""The scale filter on real photographs (scikit-image's bundled images): zoom recovered, contrast ignored."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from skimage import data

from tracker.tracking.scale_filter import ScaleFilter, gradient_histograms

CROP = 192


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """(512, 512, 2): a grey photograph and a blurred second one standing in for thermal."""
    grey = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY).astype(np.float32)
    thermal = cv2.GaussianBlur(data.camera().astype(np.float32), (0, 0), 2)
    return np.dstack([grey, thermal])


def crop(scene: np.ndarray, centre: tuple[float, float], zoom: float) -> np.ndarray:
    """A CROP x CROP search crop centred on ``centre`` (scene pixels) with the scene magnified ``zoom`` times."""
    cx, cy = centre
    warp = np.array([[zoom, 0, CROP / 2 - zoom * cx], [0, zoom, CROP / 2 - zoom * cy]])
    return cv2.warpAffine(scene, warp, (CROP, CROP))


@pytest.mark.parametrize("centre, size", [((256, 200), (40, 56)), ((180, 300), (56, 56)), ((330, 260), (70, 36))])
def test_zoom_is_recovered_over_frames(scene, centre, size):
    """The target grows or shrinks by a zoom; re-estimating from the last estimate (as frame after frame, model
    fixed) must end within 2 % of it, and an unchanged target must read as unchanged (within 0.5 %)."""
    middle, size = np.full(2, CROP / 2), np.asarray(size, np.float64)
    sf = ScaleFilter(steps=17, factor=1.03, lr=0.025)
    sf.reset(crop(scene, centre, 1.0), middle, size)
    assert sf.estimate(crop(scene, centre, 1.0), middle, size) == pytest.approx(1.0, abs=0.005)
    for zoom in (0.85, 0.92, 1.08, 1.18):
        estimate = size.copy()
        for _ in range(6):
            estimate = estimate * sf.estimate(crop(scene, centre, zoom), middle, estimate)
        assert estimate[0] / size[0] == pytest.approx(zoom, rel=0.02), zoom


def test_features_ignore_gain_and_offset(scene):
    """Gradient histograms with per-cell normalisation: a brighter, higher-contrast patch reads the same."""
    patches = np.stack([crop(scene, (256, 200), 1.0)[64:96, 64:96]] * 2)
    np.testing.assert_allclose(gradient_histograms(patches * 2.5 + 30), gradient_histograms(patches), rtol=1e-4,
                               atol=1e-6)


def test_flat_crops_leave_the_size_alone():
    """Both channels blank from the first frame on: no gradients to match, so the size stays (no NaN from 0 / 0)."""
    flat = np.full((CROP, CROP, 2), 127.0, np.float32)
    sf = ScaleFilter(steps=17, factor=1.03, lr=0.025)
    sf.reset(flat, np.full(2, CROP / 2), np.array([40.0, 40.0]))
    assert sf.estimate(flat, np.full(2, CROP / 2), np.array([40.0, 40.0])) == 1.0


def test_single_modality_tracker_reads_only_its_channel():
    """CMI-RGB's scale filter must not see thermal: the crop it reads is flat in the thermal plane."""
    from tracker.tracking.search import SearchRegion

    rgb, tir = torch.full((1, 3, 8, 8), 50.0), torch.arange(64.0).reshape(1, 1, 8, 8)
    region = SearchRegion(None, None, (), torch.device("cpu"), ("color", "ir"), images=(rgb, tir))
    both, colour_only = region.pixels(), region.pixels(("color",))
    assert np.array_equal(both[..., 1], tir[0, 0].numpy()) and np.all(colour_only[..., 1] == 127.0)
    assert np.all(colour_only[..., 0] == 50.0)
