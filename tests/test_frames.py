"""Frame loading never raises on bad files and puts both channels on the thermal grid."""
from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from tracker.frames import FrameLoader, read_thermal
from tracker.geometry import RegionError, clip_box, polygon_to_box, sanitize_init_box


@pytest.fixture()
def files(tmp_path):
    rng = np.random.default_rng(0)
    color = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    ir = rng.integers(0, 255, (48, 64), dtype=np.uint8)
    paths = {
        "color": tmp_path / "c.jpg", "ir": tmp_path / "i.png", "ir3": tmp_path / "i3.png",
        "ir16": tmp_path / "i16.png", "small": tmp_path / "small.jpg", "corrupt": tmp_path / "bad.jpg",
        "empty": tmp_path / "empty.jpg",
    }
    cv2.imwrite(str(paths["color"]), color)
    cv2.imwrite(str(paths["ir"]), ir)
    cv2.imwrite(str(paths["ir3"]), np.dstack([ir, ir, ir]))
    cv2.imwrite(str(paths["ir16"]), ir.astype(np.uint16) * 200 + 1000)
    cv2.imwrite(str(paths["small"]), color[::2, ::2])
    paths["corrupt"].write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    paths["empty"].write_bytes(b"")
    return {k: str(v) for k, v in paths.items()}, ir


def test_thermal_formats_agree(files):
    paths, ir = files
    assert np.array_equal(read_thermal(paths["ir"]), ir)
    assert np.array_equal(read_thermal(paths["ir3"]), ir)
    ir16 = read_thermal(paths["ir16"])
    assert ir16.dtype == np.uint8 and ir16.shape == ir.shape
    # 16-bit is rescaled monotonically: the ordering of pixels survives.
    assert np.corrcoef(ir16.ravel().astype(float), ir.ravel().astype(float))[0, 1] > 0.99


def test_mismatched_sizes_resampled_to_thermal_grid(files, caplog):
    paths, _ = files
    loader = FrameLoader()
    with caplog.at_level(logging.WARNING, logger="tracker"):
        for _ in range(3):
            images = loader.load({"color": paths["small"], "ir": paths["ir"]})
    assert images["color"].shape == (48, 64, 3) and images["ir"].shape == (48, 64)
    assert sum("resampling" in r.message for r in caplog.records) == 1  # once per sequence


@pytest.mark.parametrize("bad, reason", [("corrupt", "cannot be decoded"), ("empty", "empty (0 bytes)"),
                                         ("missing", "does not exist")])
def test_unreadable_channel_becomes_none(files, bad, reason, caplog):
    paths, _ = files
    path = paths.get(bad, paths["color"] + ".missing")
    with caplog.at_level(logging.WARNING, logger="tracker"):
        images = FrameLoader().load({"color": path, "ir": paths["ir"]})
    assert images["color"] is None and images["ir"] is not None
    assert sum(reason in r.message and path in r.message for r in caplog.records) == 1


def test_init_box_repairs_are_logged(caplog):
    assert np.allclose(sanitize_init_box((-10, -10, 30, 30), 64, 48), (0, 0, 20, 20))
    assert np.allclose(sanitize_init_box((31, 32, -30, -30), 64, 48), (1, 2, 30, 30))
    assert "negative size" in caplog.text
    assert np.allclose(sanitize_init_box((10, 20, 0, 0), 64, 48), (8, 18, 4, 4))
    assert "zero size" in caplog.text
    moved = sanitize_init_box((100, 10, 5, 5), 64, 48)
    assert np.allclose(moved, (59, 10, 5, 5)) and "outside the 64x48 image" in caplog.text
    with pytest.raises(RegionError, match="finite"):
        sanitize_init_box((np.nan, 0, 5, 5), 64, 48)
    assert polygon_to_box([1, 2, 5, 2, 5, 9, 1, 9]) == (1, 2, 4, 7)
    assert np.allclose(clip_box((60, 40, 20, 20), 64, 48, min_size=4), (44, 28, 20, 20))
