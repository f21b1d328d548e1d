"""Still-pair training source: warm-object rule, pseudo-sequence boxes that follow their views, training on stills."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tracker.data.stills import (FRAME_SIZE, camera_path, pseudo_sequences, read_box_lines, read_stills,
                                 warm_targets)
from tracker.geometry import iou
from tracker.train import balanced_pool

REPO = Path(__file__).resolve().parents[1]
RED = (230, 20, 20)


def _scene(rng: np.random.Generator, size=(400, 300)) -> np.ndarray:
    """Smooth random texture with a gain ramp: a background no single threshold separates from a target."""
    w, h = size
    noise = cv2.resize(rng.uniform(0, 1, (h // 10, w // 10)).astype(np.float32), (w, h))
    ramp = np.linspace(40, 160, w, dtype=np.float32)[None, :]
    return np.clip(ramp + 40 * noise + rng.normal(0, 3, (h, w)), 0, 255).astype(np.uint8)


def _write_pair(folder: Path, rng: np.random.Generator, box, annotated: bool) -> None:
    """A pair whose target (x, y, w, h) is a red rectangle in colour and a warm one in thermal."""
    x, y, w, h = box
    thermal = _scene(rng)
    thermal[y:y + h, x:x + w] = np.clip(thermal[y:y + h, x:x + w].astype(int) + 70, 0, 255)
    color = np.repeat(_scene(rng)[..., None], 3, axis=2)
    color[y:y + h, x:x + w] = RED
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "color.png"), color[..., ::-1])
    cv2.imwrite(str(folder / "ir.png"), thermal)
    if annotated:
        (folder / "boxes.txt").write_text(f"person {x} {y} {w} {h}\n")


@pytest.fixture(scope="module")
def stills(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("stills")
    rng = np.random.default_rng(3)
    _write_pair(root / "pairs" / "a-annotated", rng, (150, 100, 24, 48), annotated=True)
    _write_pair(root / "pairs" / "b-warm", rng, (260, 180, 30, 30), annotated=False)
    return root


def test_warm_rule_finds_warm_objects_on_a_ramp_strongest_first():
    rng = np.random.default_rng(0)
    thermal = _scene(rng)
    thermal[50:80, 60:75] += 90  # strong, on the dark side of the ramp
    thermal[200:240, 300:320] = np.clip(thermal[200:240, 300:320].astype(int) + 45, 0, 255)  # weaker, bright side
    found = warm_targets(thermal)
    assert len(found) == 2
    assert iou(found[:1], np.array([[60, 50, 15, 30]]))[0] > 0.7
    assert iou(found[1:], np.array([[300, 200, 20, 40]]))[0] > 0.7


def test_warm_rule_rejects_background_large_regions_and_slivers():
    rng = np.random.default_rng(1)
    assert len(warm_targets(_scene(rng))) == 0  # texture and ramp alone
    thermal = _scene(rng)
    thermal[:150, :200] = 255  # a quarter of the image: sky or a wall, not an object
    thermal[250:254, 50:150] = 255  # a 4 px sliver (aspect 25:1)
    assert len(warm_targets(thermal)) == 0


def test_pseudo_sequence_boxes_follow_the_target_through_every_view(stills):
    sequences, stats = pseudo_sequences(read_stills(stills), seed=0, length=12)
    assert [s.name for s in sequences] == ["a-annotated-0", "b-warm-0"]
    assert stats["annotated_targets"] == 1 and stats["warm_targets"] == 1
    for seq in sequences:
        for i in range(len(seq)):
            color, thermal = seq.images(i)
            assert color.shape == (FRAME_SIZE[1], FRAME_SIZE[0], 3) and thermal.shape == color.shape[:2]
            red = (color[..., 0] > 180) & (color[..., 1] < 80)
            ys, xs = np.nonzero(red)
            seen = np.array([[xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]], float)
            assert iou(seen, seq.boxes[i:i + 1])[0] > 0.85, (seq.name, i, seen, seq.boxes[i])


def test_camera_path_changes_zoom_and_aspect_and_keeps_the_target_in_frame():
    target = np.array([100.0, 100.0, 20.0, 40.0])
    for seed in range(4):
        views, boxes = camera_path(np.random.default_rng(seed), target, (640, 480), 40)
        aspect = np.log(boxes[:, 2] / boxes[:, 3])
        assert np.ptp(aspect) > 0.05 and np.ptp(np.log(boxes[:, 2] * boxes[:, 3])) > 0.05
        assert (boxes[:, :2] >= -1e-9).all() and (boxes[:, :2] + boxes[:, 2:] <= np.array(FRAME_SIZE) + 1e-9).all()
        # the view maps the source box onto the frame box
        corners = views @ np.array([[100, 100, 1], [120, 140, 1]], float).T  # (N, 2, 2)
        np.testing.assert_allclose(corners[:, :, 0], boxes[:, :2], atol=1e-6)
        np.testing.assert_allclose(corners[:, :, 1] - corners[:, :, 0], boxes[:, 2:], atol=1e-6)


def test_bad_box_line_and_missing_images_are_clear_errors(tmp_path):
    (tmp_path / "boxes.txt").write_text("person 1 2 3 4\n5 6 7\n")
    with pytest.raises(ValueError, match=r"boxes.txt:2: expected 'class x y w h'"):
        read_box_lines(tmp_path / "boxes.txt")
    (tmp_path / "pairs" / "p").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no color.jpg"):
        read_stills(tmp_path)


def test_each_source_gets_the_same_share_of_steps():
    pool = balanced_pool([0, 0, 0, 0, 0, 0, 1, 1])
    assert sorted(pool) == [0, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 7]


def test_training_on_still_pairs_records_them_in_the_checkpoint(stills, tmp_path):
    fast = ["train.frames=2", "train.batch_pos=8", "train.batch_neg=24", "train.val_sequences=0", "train.workers=0",
            "train.warmup=1", "threads=1", "train.steps=3"]
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "tracker.train", "--data", f"stills:{stills}", *fast, "--out",
                           str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = torch.load(out / "cmi.pth", map_location="cpu", weights_only=False)
    found = payload["extra"]["provenance"]["stills"][f"stills:{stills}"]
    assert found["pairs"] == 2 and found["sequences"] == 2 and found["warm_targets"] == 1
