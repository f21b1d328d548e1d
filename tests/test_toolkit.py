"""Real toolkit runs: `vot evaluate`, `vot analysis` and `vot pack` on generated sequences."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from tracker.data.synthetic import generate_sequence
from tracker.toolkit import (Row, ToolkitError, analyze, attribute_overlaps, late_warnings, read_timing, run_overlaps,
                             run_vot, summarize)

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


def _failure_rule(overlaps: list[float], threshold: float = 0.1, grace: int = 10) -> int:
    """Frames of a run before its failure: the first of ``grace`` consecutive overlaps <= ``threshold``."""
    left = grace
    for j, overlap in enumerate(overlaps):
        left = left - 1 if overlap <= threshold else grace
        if left == 0:
            return j + 1 - grace
    return len(overlaps)


def test_summary_reports_the_runs_accuracy_and_robustness(evaluated):
    """The row's A and R are the result files' overlaps under the multistart definitions (VOT2020): accuracy =
    mean overlap of the frames before each run's failure (the anchor frame, answered by no box, counts 0),
    pooled per sequence; robustness = share of the frames reached before failure; sequences weighted by what they
    hold. A field read from the wrong place in the analysis file, or for the wrong tracker, fails this."""
    analysis = analyze(evaluated, ["NCC-RGBT"])
    (row,) = summarize(evaluated, ["NCC-RGBT"], analysis)
    accuracy, robustness = [], []  # per sequence: (value, weight)
    for name in ("easy", "night"):
        reached = overlap = total = 0
        for _, overlaps in run_overlaps(evaluated, "NCC-RGBT", name).values():
            run = [0.0, *overlaps]
            progress = _failure_rule(run)
            reached, overlap, total = reached + progress, overlap + sum(run[:progress]), total + len(run)
        accuracy.append((overlap / reached, reached))
        robustness.append((reached / total, len(np.loadtxt(evaluated / "sequences" / name / "anchor.value"))))
    mean = lambda pairs: sum(v * w for v, w in pairs) / sum(w for _, w in pairs)
    assert row.accuracy == pytest.approx(mean(accuracy), abs=0.005)
    assert row.robustness == pytest.approx(mean(robustness), abs=0.005)
    if all(r == 1.0 for r, _ in robustness):  # no run failed (NCC here, measured)
        assert row.eao == 0.0  # runs shorter than the EAO range (115-755 frames) add to EAO only by failing (README)
    assert row.frames > 100 and row.median_ms > 0
    # NCC on a steady, textured target: the bar for the weakest baseline.
    assert run_overlaps(evaluated, "NCC-RGBT", "easy")[0][1].mean() > 0.6


def test_backward_runs_are_read_backward(evaluated):
    """The anchor at frame 50 of a 100-frame sequence runs back to frame 0; read forward, its boxes would miss."""
    runs = run_overlaps(evaluated, "NCC-RGBT", "easy")
    assert np.loadtxt(evaluated / "sequences" / "easy" / "anchor.value")[50] == -1
    frames, overlaps = runs[50]
    assert frames.tolist() == list(range(49, -1, -1))
    assert overlaps.mean() > 0.6
    assert attribute_overlaps(evaluated, "NCC-RGBT")["all"] > 0.5


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


def test_late_trackers_are_flagged():
    """A tracker the realtime mode skipped for more than 1 % of its frames gets a warning under the table."""
    rows = [Row("slow", 0.05, 0.4, 0.1, 303.0, 2000.0, 1.8, skipped=1710, frames=1898),
            Row("ok", 0.86, 0.84, 0.93, 7.8, 11.1, 128.0, skipped=3, frames=1898)]
    (warning,) = late_warnings(rows)
    assert "slow" in warning and "1710/1898" in warning
