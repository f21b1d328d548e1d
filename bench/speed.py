"""Speed bench: the CMI TraX process through the VOT toolkit's runtime at 320x240, 640x480 and 1920x1080.

Placeholder: only the sequence helper so far.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import cv2

from tracker.data.datasets import read_anchors, read_sequence, read_vot_meta
from tracker.data.synthetic import JPEG_QUALITY, generate_sequence
from tracker.data.vot_layout import write_annotations, write_sequence_file

BASE_SIZE = (640, 480)
CHANNEL_KEYS = ("channels.color", "channels.ir", "fps", "format")  # written by write_sequence_file itself


def scaled_sequence(out_dir: Path, frames: int, size: tuple[int, int], seed: int, kinds) -> Path:
    """A generated sequence (rendered at 640x480) resampled to ``size`` and re-encoded as JPEG, boxes scaled.

    The generator draws targets of 28-70 px whatever the frame size; resampling keeps the target's share
    of the frame, as a higher-resolution sensor seeing the same scene would. Reused if already written.
    """
    out_dir = Path(out_dir)
    if (out_dir / "groundtruth.txt").exists():
        return out_dir
    if tuple(size) == BASE_SIZE:
        return generate_sequence(out_dir, frames, seed, kinds, size=BASE_SIZE)
    base_dir = generate_sequence(out_dir.with_name(out_dir.name + "-base"), frames, seed, kinds, size=BASE_SIZE)
    base = read_sequence("vot", base_dir)
    fx, fy = size[0] / BASE_SIZE[0], size[1] / BASE_SIZE[1]
    interp = cv2.INTER_AREA if fx < 1 else cv2.INTER_LINEAR
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    for channel, paths in (("color", base.color), ("ir", base.ir)):
        (out_dir / channel).mkdir(parents=True, exist_ok=True)
        for path in paths:
            image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            cv2.imwrite(str(out_dir / channel / path.name), cv2.resize(image, size, interpolation=interp), params)
    write_annotations(out_dir, base.boxes * [fx, fy, fx, fy], read_anchors(base_dir), base.tags)
    meta = read_vot_meta(base_dir)
    fields = {k: v for k, v in meta.items() if k not in CHANNEL_KEYS}
    fields.update(name=out_dir.name, width=size[0], height=size[1])
    write_sequence_file(out_dir, meta["channels.color"], meta["channels.ir"], fields)
    shutil.rmtree(base_dir)
    return out_dir
