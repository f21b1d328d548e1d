"""The scale and translation filters on real photographs (scikit-image's bundled images): zoom and shift recovered,
contrast ignored, flat crops harmless."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from skimage import data

from tracker.tracking.scale_filter import ScaleFilter, gradient_histograms
from tracker.tracking.translation_filter import TranslationFilter

CROP = 192


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """(512, 512, 2): a grey photograph and a blurred second one standing in for thermal."""
    grey = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2GRAY).astype(np.float32)
    thermal = cv2.GaussianBlur(data.camera().astype(np.float32), (0, 0), 2)
    return np.dstack([grey, thermal])


def crop(scene: np.ndarray, centre: tuple[float, float], zoom: float = 1.0) -> np.ndarray:
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


@pytest.mark.parametrize("centre", [(256, 200), (180, 300), (330, 260)])
def test_shift_is_recovered(scene, centre):
    """The target moves by up to 30 crop pixels between frames: the filter learnt on the first crop finds its centre
    in the next to within a pixel (the cells are 4 pixels)."""
    middle = np.full(2, CROP / 2)
    tf = TranslationFilter(lr=0.025)
    tf.reset(crop(scene, centre), middle, np.array([48.0, 56.0]))
    for shift in ((0, 0), (1.5, -2.5), (6, -4), (-15, 9), (22, -20)):
        moved = crop(scene, (centre[0] - shift[0], centre[1] - shift[1]))  # the target now at middle + shift
        np.testing.assert_allclose(tf.locate(moved), middle + shift, atol=1.0, err_msg=str(shift))


def test_learning_at_an_off_centre_target(scene):
    """A frame's target is rarely at its crop's centre: learning there (here only there, lr = 1) must still find the
    target in a later crop where it sits elsewhere, to within a pixel."""
    middle, centre = np.full(2, CROP / 2), (256.0, 200.0)
    tf = TranslationFilter(lr=1.0)
    tf.reset(crop(scene, centre), middle, np.array([48.0, 56.0]))
    tf.update(crop(scene, (centre[0] - 9.5, centre[1] + 6.25)), middle + (9.5, -6.25))
    np.testing.assert_allclose(tf.locate(crop(scene, (centre[0] + 12, centre[1] + 3))), middle + (-12, -3), atol=1.0)


def test_flat_crops_give_no_centre():
    """Both channels blank: no gradients, so no peak to report (the tracker keeps the classifier's centre)."""
    flat = np.full((CROP, CROP, 2), 127.0, np.float32)
    tf = TranslationFilter(lr=0.025)
    tf.reset(flat, np.full(2, CROP / 2), np.array([40.0, 40.0]))
    assert tf.locate(flat) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orientations_are_unsigned_and_binned_by_angle(dtype):
    """A ramp votes by its gradient's orientation modulo 180 degrees: a ramp and its negative fill the same bin (a
    leftward gradient, exactly 180 degrees, lands in bin 0 with the rightward one), 30 degrees lies half in bin 1
    and half in bin 2 (20-degree bins), and -60 degrees reads as 120 (bin 6)."""
    ys, xs = np.mgrid[0:12, 0:12].astype(dtype)

    def votes(degrees: float) -> np.ndarray:
        a = np.deg2rad(degrees)
        ramp = (np.cos(a) * xs + np.sin(a) * ys)[None]  # (1, 12, 12): gradient along ``degrees``
        return gradient_histograms(ramp).reshape(9, 9)[4]  # the middle cell of 3 x 3: no border pixels

    for degrees, expected in ((0, {0: 1.0}), (180, {0: 1.0}), (30, {1: 0.5, 2: 0.5}), (-60, {6: 1.0}),
                              (120, {6: 1.0})):
        v = votes(degrees)
        share = v / v.sum()
        want = np.zeros(9)
        for b, w in expected.items():
            want[b] = w
        # 1e-3 of a vote is 0.02 degree: OpenCV's angles are that close to arctan2's.
        np.testing.assert_allclose(share, want, atol=1e-3, err_msg=f"{degrees} degrees")
    # Exactly 180 degrees (an angle of pi, or a hair either side of it): the same votes as 0.
    np.testing.assert_allclose(gradient_histograms(-xs[None]), gradient_histograms(xs[None]), atol=1e-6)
    assert gradient_histograms(-xs[None]).reshape(9, 9)[4].argmax() == 0
