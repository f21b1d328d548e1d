"""Real toolkit runs: `vot evaluate`, `vot analysis` and `vot pack` on generated sequences."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from tracker.data.synthetic import generate_sequence
from tracker.geometry import iou
from tracker.toolkit import ToolkitError, analyze, read_timing, run_vot, summarize

REPO = Path(__file__).resolve().parents[1]


def make_workspace(root: Path, registry: Path, kinds: dict[str, tuple]) -> Path:
    sequences = root / "sequences"
    for i, (name, k) in enumerate(kinds.items()):
        generate_sequence(sequences / name, frames=100, seed=10 + i, kinds=k)
    (sequences / "list.txt").write_text("".join(f"{name}\n" for name in kinds))
    (root / "config.yaml").write_text(f"registry:\n- {registry}\nstack: vot2019/rgbtir\n")
    return root


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> Path:
    ws = make_workspace(
        tmp_path_factory.mktemp("ws"), REPO / "trackers.ini",
        {"easy": ("textured",), "night": ("night", "occlusion")},
    )
    run_vot(["evaluate", "NCC-RGBT"], ws)
    return ws


def _first_run_overlap(ws: Path, tracker: str, sequence: str) -> float:
    """Mean IoU of the run started at frame 0, read from the toolkit's result file."""
    from vot.region import Rectangle
    from vot.region.io import read_trajectory_binary

    with open(ws / "results" / tracker / "baseline" / sequence / f"{sequence}_00000000.bin", "rb") as fp:
        trajectory = read_trajectory_binary(fp)
    gt = np.loadtxt(ws / "sequences" / sequence / "groundtruth.txt", delimiter=",")
    overlaps = []
    for region, truth in zip(trajectory[1:], gt[1:]):
        assert isinstance(region, Rectangle), f"tracker answered {region!r}"
        overlaps.append(iou(np.array([region.x, region.y, region.width, region.height]), truth))
    return float(np.mean(overlaps))


def test_analysis_has_eao_accuracy_robustness(evaluated):
    analysis = analyze(evaluated, ["NCC-RGBT"])
    (row,) = summarize(evaluated, ["NCC-RGBT"], analysis)
    assert 0.0 <= row.eao <= 1.0 and 0.0 <= row.accuracy <= 1.0 and 0.0 <= row.robustness <= 1.0
    assert row.frames > 100 and row.median_ms > 0
    # NCC on a steady, textured target: the bar for the weakest baseline.
    assert _first_run_overlap(evaluated, "NCC-RGBT", "easy") > 0.6


def test_every_frame_timed(evaluated):
    """Each anchor starts a run to the end (value 1) or back to the start (value -1)."""
    expected = 0
    for name in ("easy", "night"):
        anchors = np.loadtxt(evaluated / "sequences" / name / "anchor.value")
        expected += sum(len(anchors) - 1 - i if a > 0 else i for i, a in enumerate(anchors) if a != 0)
    assert read_timing(evaluated, "NCC-RGBT")["frames"] == expected


def test_pack_writes_zip(evaluated):
    run_vot(["pack", "NCC-RGBT"], evaluated)
    archives = list(evaluated.glob("*.zip"))
    assert len(archives) == 1
    with zipfile.ZipFile(archives[0]) as archive:
        names = archive.namelist()
    assert any(name.endswith("easy_00000000.bin") for name in names)


def test_crashing_tracker_is_detected(tmp_path):
    """The toolkit exits 0 when a tracker fails to start; run_vot must not."""
    registry = tmp_path / "trackers.ini"
    registry.write_text(
        "[Broken]\nprotocol = traxpython\npaths = %s\n"
        "command = import tracker.vot as t; sys.exit(t.main('--tracker', 'ncc', 'threads=0'))\n" % REPO
    )
    ws = make_workspace(tmp_path / "ws", registry, {"easy": ("textured",)})
    with pytest.raises(ToolkitError, match="Broken|interrupted"):
        run_vot(["evaluate", "Broken"], ws)
