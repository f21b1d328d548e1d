"""Fault suite: every kind of bad input in helpers/faults.py through the real ``vot evaluate`` with CMI.

Two toolkit runs side by side, each over half of the faulty sequences: the evaluation must complete, every
frame must be answered with a rectangle inside the image, tracking must stay correct where the
input is still valid, and the tracker's log must name each problem once.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tracker.geometry import iou, polygon_to_box
from tracker.toolkit import ToolkitError, run_overlaps, run_vot

from helpers.faults import FAULTS, SIZE, make_faults

REPO = Path(__file__).resolve().parents[1]
TRACKER = "CMI"
# The suite checks the answers to bad input, not speed, so its results must not depend on how busy the machine is:
# vot2019/rgbtir's multistart experiment without the realtime rule (on a busy machine that rule skipped 21-25 of 30
# frames, the faulty frame among them, so a fault was never read and tracking "failed"), and a TraX timeout a starved
# tracker does not hit (the toolkit's 30 s covers start-up, which took 12 s at load 5; past it the toolkit stops
# the evaluation and every test of the suite errors). No start-up warm-up either: it only keeps kernel set-up out of
# the first timed frame (same boxes without it) and took 3-4 s of each of the suite's 14 tracker starts.
# The faults run as two workspaces evaluated at once, one single-threaded tracker each: most of the suite's time is
# tracker start-up (torch import, model build), which one core does alone.
STACK = "title: vot2019/rgbtir without the realtime rule\nexperiments:\n  baseline:\n    type: multistart\n"
TRAX_TIMEOUT = 600


# The two halves: the 200-frame out_of_view sequence (three runs, about 60 s) and four short ones (about 12 s each,
# mostly start-up), against the other short ones.
FIRST = ("out_of_view", "corrupt_jpeg", "missing_frame", "zero_byte", "size_mismatch")
HALVES = (FIRST, tuple(f for f in FAULTS if f not in FIRST and f != "init_nan"))


def _workspace(root: Path, faults, threads: int = 2) -> Path:
    make_faults(root / "sequences", faults)
    log = root / "tracker.log"
    (root / "trackers.ini").write_text(
        f"[{TRACKER}]\nlabel = {TRACKER}\nprotocol = traxpython\npaths = {REPO}\ntimeout = {TRAX_TIMEOUT}\n"
        f"command = import tracker.vot as t; sys.exit(t.main('log_file={log}', 'warmup=false', "
        f"'threads={threads}'))\n")
    (root / "stack.yaml").write_text(STACK)
    (root / "config.yaml").write_text("registry:\n- ./trackers.ini\nstack: stack.yaml\n")
    return root


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> tuple[dict[str, Path], str]:
    """Sequence -> the workspace it was evaluated in, and the trackers' logs of both workspaces."""
    spaces = [_workspace(tmp_path_factory.mktemp("faults"), half, threads=1) for half in HALVES]
    with ThreadPoolExecutor(len(spaces)) as pool:
        # raises if the toolkit reports a tracker error
        outputs = list(pool.map(lambda ws: run_vot(["evaluate", TRACKER], ws), spaces))
    assert all("Evaluation concluded successfuly" in output for output in outputs)
    return {sequence: ws for ws, half in zip(spaces, HALVES) for sequence in half}, \
        "".join((ws / "tracker.log").read_text() for ws in spaces)


def _log_of(log: str, sequence: str) -> str:
    """The log lines of the runs on ``sequence`` (runs are sequential; each starts with 'initialize on')."""
    blocks = re.split(r"(?m)^(?=.*initialize on )", log)
    return "".join(b for b in blocks if f"/sequences/{sequence}/" in b.split("\n", 1)[0])


def _runs(ws: Path, sequence: str) -> list[tuple[int, list]]:
    from vot.region.io import read_trajectory_binary

    runs = []
    for path in sorted((ws / "results" / TRACKER / "baseline" / sequence).glob(f"{sequence}_*.bin")):
        with open(path, "rb") as fp:
            runs.append((int(path.stem.rsplit("_", 1)[1]), read_trajectory_binary(fp)))
    return runs


def _truth(ws: Path, sequence: str) -> list[np.ndarray]:
    rows = []
    for line in (ws / "sequences" / sequence / "groundtruth.txt").read_text().split():
        values = [float(v) for v in line.split(",")]
        rows.append(np.array(values if len(values) == 4 else polygon_to_box(values)))
    return rows


def _overlaps(ws: Path, sequence: str, start: int, trajectory: list) -> np.ndarray:
    truth = _truth(ws, sequence)
    return np.array([iou(np.array([r.x, r.y, r.width, r.height]), truth[start + k])
                     for k, r in enumerate(trajectory[1:], 1)])


@pytest.mark.parametrize("sequence", [f for f in FAULTS if f != "init_nan"])
def test_every_frame_answered_inside_the_image(evaluated, sequence):
    from vot.region import Rectangle

    ws = evaluated[0][sequence]
    length = len(_truth(ws, sequence))
    meta = dict(line.split("=", 1) for line in (ws / "sequences" / sequence / "sequence").read_text().split())
    width, height = int(meta["width"]), int(meta["height"])
    runs = _runs(ws, sequence)
    assert runs, f"no results for {sequence}"
    anchors = np.loadtxt(ws / "sequences" / sequence / "anchor.value", ndmin=1)
    for start, trajectory in runs:
        assert len(trajectory) == (length - start if anchors[start] > 0 else start + 1)  # backward runs: to frame 0
        for region in trajectory[1:]:
            assert isinstance(region, Rectangle), f"{sequence} from {start}: {region!r}"
            assert region.width > 0 and region.height > 0
            assert region.x >= 0 and region.y >= 0
            assert region.x + region.width <= width + 1e-3 and region.y + region.height <= height + 1e-3


# Faults that leave the input usable: tracking must stay as good as on clean data (~0.87 measured).
@pytest.mark.parametrize("sequence, bar", [
    ("corrupt_jpeg", 0.7), ("missing_frame", 0.7), ("zero_byte", 0.7), ("size_mismatch", 0.7),
    ("thermal_3channel", 0.7), ("thermal_16bit", 0.6), ("frame_4k", 0.7), ("init_negative", 0.7),
    ("polygon_4", 0.7), ("polygon_many", 0.7),
])
def test_tracking_survives_the_fault(evaluated, sequence, bar):
    ws = evaluated[0][sequence]
    (start, trajectory), = _runs(ws, sequence)
    assert _overlaps(ws, sequence, start, trajectory).mean() > bar


@pytest.mark.parametrize("sequence, message", [
    ("corrupt_jpeg", r"color/00000011\.jpg cannot be decoded"),
    ("missing_frame", r"ir/00000011\.jpg does not exist"),
    ("zero_byte", r"color/00000011\.jpg is empty \(0 bytes\)"),
    ("size_mismatch", r"channel 'color' is 480x360, expected 320x240; resampling"),
    ("init_zero_size", r"initial region .* has zero size; using 4x4"),
    ("init_negative", r"initial region .* has a negative size; using corners swapped"),
    ("init_outside", rf"initial region .* lies outside the {SIZE[0]}x{SIZE[1]} image"),
])
def test_each_problem_logged_once(evaluated, sequence, message):
    _, log = evaluated
    assert len(re.findall(message, _log_of(log, sequence))) == 1


def test_clean_formats_log_no_warning(evaluated):
    _, log = evaluated
    for sequence in ("thermal_3channel", "thermal_16bit", "polygon_4", "polygon_many", "frame_4k"):
        assert "WARNING" not in _log_of(log, sequence), sequence


def test_frame_1x1_answers_the_whole_frame(evaluated):
    ws = evaluated[0]["frame_1x1"]
    (_, trajectory), = _runs(ws, "frame_1x1")
    assert all((r.x, r.y, r.width, r.height) == (0, 0, 1, 1) for r in trajectory[1:])


def test_target_leaving_the_image_is_lost_and_found_again(evaluated):
    spaces, log = evaluated
    ws = spaces["out_of_view"]
    text = _log_of(log, "out_of_view")
    assert "target lost" in text and "found again" in text
    # The target is fully outside for 30 frames (140-169); of the runs that cross the gap, the backward one
    # re-acquires it (mean IoU over its last 25 frames > 0.5). The two forward runs (from frames 1 and 51) see it
    # leave through the top edge beside a target-sized dark patch and lock onto the image corner there: in the plain
    # API at track seeds 0-2, forward runs from frame 0 recovered at none, with random projections and with the
    # fixed ones (also from frame 50); backward from the last frame, 2 of 3 (random) and 3 of 3 (fixed, 0.92-0.98).
    runs = run_overlaps(ws, TRACKER, "out_of_view").values()
    crossing = [overlaps for frames, overlaps in runs if {140, 169} <= set(frames.tolist())]
    recovered = [overlaps[-25:].mean() > 0.5 for overlaps in crossing]
    assert len(crossing) == 3 and sum(recovered) >= 1


def test_nan_init_region_stops_the_toolkit_not_the_tracker(tmp_path):
    # vot-toolkit 0.7.4 turns a NaN annotation into a special region it cannot send over TraX, so it
    # stops before the tracker sees it (tests/test_trax.py covers the tracker's answer to an empty
    # region). What we can check: the error names the sequence and our process did not crash.
    ws = _workspace(tmp_path, ["init_nan"])
    with pytest.raises(ToolkitError, match="error at sequence init_nan: Unknown region type"):
        run_vot(["evaluate", TRACKER], ws)
    assert "Traceback" not in (ws / "tracker.log").read_text()
