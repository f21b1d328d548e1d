"""TraX round trips through the toolkit's own runtime (no evaluation loop)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tracker.data.synthetic import generate_sequence
from tracker.geometry import iou

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sequence_dir(tmp_path_factory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("trax") / "steady", frames=12, seed=3, kinds=("textured",))


def _runtime(name: str):
    from vot.tracker import Registry

    registry = Registry([str(REPO / "trackers.ini")], root=str(REPO))
    return registry[name].runtime(log=False)


def _run(name: str, sequence_dir: Path, init_region) -> tuple[list, list]:
    """Initialize with ``init_region`` (a vot.region shape), track every frame, stop."""
    from vot.dataset import load_sequence
    from vot.tracker import ObjectStatus

    sequence = load_sequence(str(sequence_dir))
    runtime = _runtime(name)
    try:
        states, _ = runtime.initialize(sequence.frame(0), [ObjectStatus(init_region, {})])
        outputs = [states[0]]
        for i in range(1, len(sequence)):
            states, _ = runtime.update(sequence.frame(i))
            outputs.append(states[0])
    finally:
        runtime.stop()
    truth = [sequence.frame(i).groundtruth() for i in range(len(sequence))]
    return outputs, truth


def _box(region) -> np.ndarray:
    bounds = region.bounds()  # (left, top, right, bottom)
    return np.array([bounds[0], bounds[1], bounds[2] - bounds[0], bounds[3] - bounds[1]])


def _api_run(sequence_dir: Path, init_box) -> list[tuple[np.ndarray, float]]:
    """(box, confidence) per frame from the NCC tracker's Python API on the same files."""
    from tracker.config import Config
    from tracker.data.datasets import read_sequence
    from tracker.factory import build_tracker
    from tracker.frames import FrameLoader

    seq = read_sequence("vot", sequence_dir)
    color, ir = [str(p) for p in seq.color], [str(p) for p in seq.ir]
    tracker, loader = build_tracker("ncc", Config()), FrameLoader()
    tracker.initialize(loader.load({"color": color[0], "ir": ir[0]}), init_box)
    return [tracker.track(loader.load({"color": color[i], "ir": ir[i]})) for i in range(1, len(color))]


@pytest.mark.parametrize("shape", ["rectangle", "polygon"])
def test_round_trip_answers_rectangles_with_confidence(sequence_dir, shape):
    from vot.region import Polygon, Rectangle

    gt = np.loadtxt(sequence_dir / "groundtruth.txt", delimiter=",")[0]
    x, y, w, h = gt
    if shape == "rectangle":
        init = Rectangle(x, y, w, h)
    else:  # a rotated-looking quadrilateral whose bounds are the box
        init = Polygon([(x + w / 2, y), (x + w, y + h / 2), (x + w / 2, y + h), (x, y + h / 2)])
    outputs, truth = _run("NCC-RGBT", sequence_dir, init)
    assert len(outputs) == len(truth)
    # Through TraX the toolkit gets what the API answers on the same files: the same box and its own confidence
    # (not a constant, not another frame's), with the init region read as its bounds.
    expected = _api_run(sequence_dir, gt)
    for status, (box, confidence) in zip(outputs[1:], expected):
        assert isinstance(status.region, Rectangle)
        r = status.region
        np.testing.assert_allclose([r.x, r.y, r.width, r.height], box, atol=1e-3)
        assert float(status.properties["confidence"]) == pytest.approx(confidence, abs=1e-4)
    assert len({round(c, 4) for _, c in expected}) > 1  # confidences differ between frames: the check has teeth
    overlaps = [iou(_box(s.region), _box(t)) for s, t in zip(outputs[1:], truth[1:])]
    # A steady textured target over 11 frames: NCC must stay on it.
    assert np.mean(overlaps) > 0.5, overlaps


def test_bad_config_stops_before_handshake():
    proc = subprocess.run(
        [sys.executable, "-m", "tracker.vot", "--tracker", "ncc", "model.cmi_mode=attention"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert proc.returncode == 2
    assert "model.cmi_mode='attention'" in proc.stderr and "expected one of" in proc.stderr


def test_bad_init_region_is_reported_to_toolkit(sequence_dir):
    from vot.region import Rectangle
    from vot.tracker import TrackerException

    with pytest.raises(TrackerException, match="initialization failed: initial region is empty .*NaN"):
        _run("NCC-RGBT", sequence_dir, Rectangle(float("nan"), 10, 20, 20))


def test_closed_pipe_exits_cleanly():
    # The toolkit killing a run closes the pipe: the tracker must leave without a traceback.
    proc = subprocess.run([sys.executable, "-m", "tracker.vot", "--tracker", "ncc"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0
    assert "TraX session ended" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_weights_stop_at_start_up(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tracker.vot", f"weights={tmp_path / 'nope.pth'}"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert f"weights file {tmp_path / 'nope.pth'} does not exist" in proc.stderr
