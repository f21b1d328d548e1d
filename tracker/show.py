"""Show what trackers did on a sequence: a video (.mp4) or a contact sheet (.png) with boxes, IoU, confidence, failures.

``python -m tracker.show --workspace WS --tracker NAME [--tracker NAME ...] --sequence SEQ [--run ANCHOR] --out F``
reads a toolkit run (``WS/results/NAME/baseline/SEQ/``, backward multistart runs included);
``python -m tracker.show --results DIR --dataset KIND --root PATH --tracker NAME ... --sequence SEQ --out F``
reads one-pass boxes written by ``tracker.evaluate`` (``DIR/NAME/NAME_SEQ.txt``). ``F`` ending in ``.mp4``
gives a video, ``.png`` a sheet of evenly spaced frames; both have the IoU/confidence strip plot under them.
Frame numbers are 0-based, as in the toolkit's result file names.
"""
from __future__ import annotations

import argparse
import configparser
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence as Seq

import cv2
import numpy as np
import yaml

from . import render
from .data.datasets import KINDS, Sequence, read_sequence
from .frames import read_color, read_thermal
from .geometry import iou

# The toolkit's multistart failure rule (vot-toolkit 0.7.4 multistart analyses, defaults used by the
# vot2019/rgbtir stack): a run fails at the first of `FAILURE_GRACE` consecutive frames whose overlap is at
# most `FAILURE_THRESHOLD` (frames without ground truth reset the count); frames after it are not scored.
FAILURE_THRESHOLD = 0.1
FAILURE_GRACE = 10
EXTENSIONS = (".mp4", ".png")
LASHER_SPLIT_FOLDERS = ("trainingset", "testingset")


class ShowError(Exception):
    """Bad input (unknown tracker or sequence, no results, unwritable output): one line, exit code 2."""


@dataclass
class Track:
    """One tracker's run, over the frames of a :class:`Run` in the order it played them."""

    name: str
    boxes: np.ndarray       # (N, 4) xywh on the thermal grid; NaN where the tracker reported no box
    confidence: np.ndarray  # (N,) NaN where none was stored
    overlaps: np.ndarray    # (N,) IoU with the ground truth; NaN where the frame has none
    failure: Optional[int]  # position in the run where the failure rule fires, or None
    skipped: Optional[np.ndarray] = None  # (N,) frames the toolkit's realtime mode skipped (the tracker was late)


@dataclass
class Run:
    """Trackers' runs over the same frames of one sequence."""

    sequence: Sequence
    frames: np.ndarray      # sequence frame indices in play order (descending for a backward toolkit run)
    tracks: list[Track]
    title: str              # e.g. "seq, run from anchor 500 (backward)"
    confidence_note: str = ""
    one_pass: bool = False  # scored to the end (tracker.evaluate), not stopped at a failure (toolkit multistart)

    @property
    def failure_label(self) -> str:
        """Toolkit runs stop counting at a failure; in a one-pass run the same rule only says the target was lost."""
        return "lost" if self.one_pass else "FAILED"


# --- reading runs ---------------------------------------------------------------------------------
def clipped_overlaps(boxes: np.ndarray, gt: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """IoU of boxes and ground truth both clipped to the image, as the toolkit computes it (``bounds``);
    NaN where the ground truth is missing, 0 where the tracker gave no box."""
    w, h = size

    def clip(b: np.ndarray) -> np.ndarray:
        x0, y0 = np.clip(b[:, 0], 0, w), np.clip(b[:, 1], 0, h)
        x1, y1 = np.clip(b[:, 0] + b[:, 2], 0, w), np.clip(b[:, 1] + b[:, 3], 0, h)
        return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)

    gt_ok = np.isfinite(gt).all(axis=1)
    out = iou(clip(np.nan_to_num(boxes)), clip(np.nan_to_num(gt)))
    return np.where(gt_ok, out, np.nan)


def failure_position(overlaps: np.ndarray, threshold: float = FAILURE_THRESHOLD,
                     grace: int = FAILURE_GRACE) -> Optional[int]:
    """Position of the first of ``grace`` consecutive overlaps <= ``threshold`` (NaN = no ground truth, resets)."""
    left = grace
    for j, overlap in enumerate(overlaps):
        if np.isfinite(overlap) and overlap <= threshold:
            left -= 1
            if left == 0:
                return j + 1 - grace
        else:
            left = grace
    return None


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file; the first frame of a run fixes the output layout."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ShowError(f"cannot read image {path}")
    return image.shape[1], image.shape[0]


def _track(name: str, seq: Sequence, frames: np.ndarray, boxes: np.ndarray, confidence: np.ndarray,
           size: tuple[int, int]) -> Track:
    overlaps = clipped_overlaps(boxes, seq.boxes[frames], size)
    failure = failure_position(overlaps[1:])  # the first frame is the given box, not tracked
    return Track(name, boxes, confidence, overlaps, None if failure is None else failure + 1)


def load_workspace_run(workspace: Path, trackers: Seq[str], sequence: str, anchor: Optional[int] = None) -> Run:
    """The multistart run from ``anchor`` (default the first one) of each tracker on ``sequence``."""
    from .toolkit import registered_trackers, run_boxes

    workspace = Path(workspace)
    if not (workspace / "config.yaml").is_file():
        raise ShowError(f"{workspace} is not a toolkit workspace (no config.yaml)")
    seq_dir = workspace / "sequences" / sequence
    seq = _read_sequence("vot", seq_dir, workspace / "sequences")
    try:
        known = set(registered_trackers(workspace))
    except (OSError, ValueError, KeyError, TypeError, configparser.Error, yaml.YAMLError) as err:
        raise ShowError(f"cannot read the tracker registry of {workspace}: {err}") from None
    runs = {}
    for name in trackers:
        folder = workspace / "results" / name
        if name not in known and not folder.is_dir():
            raise ShowError(f"unknown tracker {name!r}: not in the registry of {workspace} "
                            f"({', '.join(sorted(known)) or 'empty'})")
        try:
            found = run_boxes(workspace, name, sequence) if (folder / "baseline" / sequence).is_dir() else {}
        except Exception as err:  # the toolkit's readers raise their own types for a damaged result file
            raise ShowError(f"cannot read the results of {name} on {sequence}: {err}") from None
        if not found:
            raise ShowError(f"no results yet for {name} on {sequence} in {folder / 'baseline' / sequence} "
                            f"(run `vot evaluate --workspace {workspace} {name}` first)")
        runs[name] = found
    anchors = sorted(set.intersection(*(set(r) for r in runs.values())))
    if not anchors:
        raise ShowError(f"the trackers have no run from a common anchor on {sequence}")
    if anchor is None:
        anchor = anchors[0]
    elif anchor not in anchors:
        raise ShowError(f"no run from anchor {anchor} on {sequence}; runs start at frame "
                        f"{', '.join(map(str, anchors))}")
    size = image_size(seq.ir[anchor])
    tracks = []
    frames = None
    for name in trackers:
        frames, boxes, confidence, seconds = runs[name][anchor]
        frames = frames[frames < len(seq)]
        boxes, confidence = boxes[:len(frames)].copy(), confidence[:len(frames)]
        boxes[0] = seq.boxes[anchor]  # the anchor frame holds the toolkit's init code: the tracker was given the GT
        track = _track(name, seq, frames, boxes, confidence, size)
        track.skipped = seconds[:len(frames)] == 0  # the realtime mode stores time 0 and repeats the last box
        track.skipped[0] = False
        tracks.append(track)
    direction = "backward" if len(frames) > 1 and frames[1] < frames[0] else "forward"
    return Run(seq, frames, tracks, f"{sequence}, run from anchor {anchor} ({direction})")


def load_one_pass_run(results: Path, dataset: str, root: Path, trackers: Seq[str], sequence: str) -> Run:
    """One-pass boxes of each tracker from ``results/NAME/NAME_<sequence>.txt`` (``tracker.evaluate``'s layout)."""
    from .metrics import read_boxes, result_path

    results, root = Path(results), Path(root)
    if dataset.lower() not in KINDS:
        raise ShowError(f"unknown dataset kind {dataset!r}; expected one of {', '.join(KINDS)}")
    candidates = [root / sequence]
    if dataset.lower() == "lasher":
        candidates += [root / split / sequence for split in LASHER_SPLIT_FOLDERS]
    seq_dir = next((c for c in candidates if c.is_dir()), candidates[0])
    seq = _read_sequence(dataset, seq_dir, root)
    frames = np.arange(len(seq))
    size = image_size(seq.ir[0])
    tracks = []
    for name in trackers:
        path = result_path(results, name, sequence)
        if not (results / name).is_dir():
            found = sorted(p.name for p in results.iterdir() if p.is_dir()) if results.is_dir() else []
            raise ShowError(f"unknown tracker {name!r}: no folder {results / name} "
                            f"(results there: {', '.join(found) or 'none'})")
        if not path.is_file():
            raise ShowError(f"no results for {name} on {sequence}: {path} does not exist "
                            f"(run `python -m tracker.evaluate ... --name {name}` first)")
        try:
            boxes = read_boxes(path)
        except ValueError as err:
            raise ShowError(f"{path}: {err}") from None
        if len(boxes) < len(seq):
            raise ShowError(f"{path} has {len(boxes)} boxes for {len(seq)} frames (an unfinished run?)")
        tracks.append(_track(name, seq, frames, boxes[:len(seq)], np.full(len(seq), np.nan), size))
    return Run(seq, frames, tracks, f"{sequence}, one pass from frame 0",
               confidence_note="no confidence: one-pass result files hold boxes only", one_pass=True)


def _read_sequence(kind: str, seq_dir: Path, parent: Path) -> Sequence:
    if not seq_dir.is_dir():
        names = sorted(p.name for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        raise ShowError(f"unknown sequence {seq_dir.name!r} in {parent} ({shown or 'no sequences there'})")
    try:
        seq = read_sequence(kind, seq_dir)
    except (OSError, ValueError) as err:
        raise ShowError(str(err)) from None
    if not len(seq):
        raise ShowError(f"{seq_dir}: the sequence has no frames")
    return seq


# --- rendering ------------------------------------------------------------------------------------
class FrameRenderer:
    """Renders positions of a run at a fixed output layout (set by the run's first frame)."""

    def __init__(self, run: Run, max_width: int, with_title: bool = True):
        self.run = run
        self.with_title = with_title
        first = int(run.frames[0])
        self.color_size = image_size(run.sequence.color[first])
        self.ir_size = image_size(run.sequence.ir[first])
        # Every tracker's header entry gets the width of the longest one it can have.
        last = int(run.frames.max())
        slot = 16 + max(render.text_width(f"{t.name}  IoU 0.00  conf -00.00  {run.failure_label} @{last}"
                                          + ("  skipped" if t.skipped is not None else "")) for t in run.tracks)
        self.layout = render.layout(self.color_size, self.ir_size, max_width, len(run.tracks), slot=slot)
        # Visible-light ground truth where the dataset annotates it apart (GTOT, RGBT234): colour's own pixels.
        c = self.layout.color
        self.color_gt_panel = (render.Panel(c.x, c.y, c.width, c.height, c.width / self.color_size[0],
                                            c.height / self.color_size[1])
                               if run.sequence.boxes_rgb is not None else c)

    def _images(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """BGR colour and thermal images of ``frame``; an unreadable file becomes a grey panel saying so."""
        out = []
        for paths, reader, size in ((self.run.sequence.color, read_color, self.color_size),
                                    (self.run.sequence.ir, read_thermal, self.ir_size)):
            try:
                image = reader(str(paths[frame]))
                image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if image.ndim == 3 else image
            except OSError:
                image = np.full((size[1], size[0], 3), 96, np.uint8)
                render.put_text(image, "unreadable", 4, 20)
            out.append(image)
        return out[0], out[1]

    def entries(self, position: int) -> list[tuple[str, tuple[int, int, int]]]:
        """Header text per tracker at ``position``: IoU, confidence, and FAILED once the failure rule fired."""
        out = []
        for k, t in enumerate(self.run.tracks):
            overlap, conf = t.overlaps[position], t.confidence[position]
            text = f"{t.name}  IoU {overlap:.2f}" if np.isfinite(overlap) else f"{t.name}  IoU -"
            text += f"  conf {conf:.2f}" if np.isfinite(conf) else ""
            if t.failure is not None and position >= t.failure:
                text += f"  {self.run.failure_label} @{int(self.run.frames[t.failure])}"
            if t.skipped is not None and t.skipped[position]:
                text += "  skipped"
            out.append((text, render.tracker_color(k)))
        return out

    def frame(self, position: int) -> np.ndarray:
        """The rendered frame at ``position`` of the run: panels, ground truth and tracker boxes, header."""
        run, lay = self.run, self.layout
        f = int(run.frames[position])
        color, ir = self._images(f)
        title = [(f"frame {f}   ", render.TEXT_COLOR), ("GT", render.GT_COLOR)]
        if self.with_title:
            title.append((f"   {run.title}", render.TEXT_COLOR))
        canvas = render.compose(lay, color, ir, title, self.entries(position))
        for k, t in enumerate(run.tracks):
            # After a failure the toolkit no longer scores the run: the box is drawn thin.
            failed = t.failure is not None and position >= t.failure and not run.one_pass
            thick = 1 if failed else render.BOX_THICKNESS
            for panel in (lay.color, lay.ir):
                render.draw_box(canvas, panel, t.boxes[position], render.tracker_color(k), thick)
        # Ground truth last and 1 px wide: it stays visible on a tracker box that matches it.
        gt = run.sequence.boxes[f]
        gt_rgb = run.sequence.boxes_rgb[f] if run.sequence.boxes_rgb is not None else gt
        render.draw_box(canvas, lay.ir, gt, render.GT_COLOR, 1)
        render.draw_box(canvas, self.color_gt_panel, gt_rgb, render.GT_COLOR, 1)
        return canvas

    def strip(self, width: int, marks: Seq[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        series = [dict(name=t.name, color=render.tracker_color(k), iou=t.overlaps, confidence=t.confidence,
                       failure=t.failure, skipped=t.skipped) for k, t in enumerate(self.run.tracks)]
        return render.strip_plot(self.run.frames, series, width, marks=marks,
                                 confidence_note=self.run.confidence_note)


def write_video(run: Run, out: Path, max_width: int, fps: float) -> tuple[int, tuple[int, int]]:
    """Every frame of the run with the strip plot and a cursor under it, as an MPEG-4 video; (frames, size)."""
    renderer = FrameRenderer(run, max_width)
    strip, xs = renderer.strip(renderer.layout.width)
    size = (renderer.layout.width, renderer.layout.height + strip.shape[0])
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise ShowError(f"cannot write a video to {out}")
    try:
        for position in range(len(run.frames)):
            writer.write(np.vstack([renderer.frame(position), render.with_cursor(strip, xs[position])]))
    finally:
        writer.release()
    return len(run.frames), size


def sheet_positions(length: int, tiles: int) -> list[int]:
    """``tiles`` evenly spaced positions over a run of ``length`` frames, first and last included."""
    return sorted(set(np.linspace(0, length - 1, min(tiles, length)).round().astype(int).tolist()))


def render_sheet(run: Run, max_width: int, tiles: int, columns: int = 2) -> np.ndarray:
    """A contact sheet: evenly spaced frames in a grid, the strip plot (tiles marked) under it; BGR."""
    columns = max(1, min(columns, tiles, len(run.frames)))
    renderer = FrameRenderer(run, max_width // columns, with_title=False)  # the sheet's title bar has it
    positions = sheet_positions(len(run.frames), tiles)
    images = [renderer.frame(p) for p in positions]
    width = renderer.layout.width * columns
    strip, _ = renderer.strip(width, marks=[int(run.frames[p]) for p in positions])
    names = ", ".join(t.name for t in run.tracks)
    return render.contact_sheet(images, columns, strip, render.title_bar(f"{run.title}: {names}", width))


# --- command line ---------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2 (argparse prints the usage too)
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parse_args(argv: Seq[str]) -> argparse.Namespace:
    parser = _Parser(prog="python -m tracker.show", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--workspace", type=Path, help="VOT toolkit workspace (reads results/NAME/baseline/SEQ)")
    source.add_argument("--results", type=Path, help="one-pass results folder of tracker.evaluate (NAME/NAME_SEQ.txt)")
    parser.add_argument("--dataset", help=f"with --results: dataset kind ({', '.join(KINDS)})")
    parser.add_argument("--root", type=Path, help="with --results: the dataset folder")
    parser.add_argument("--tracker", action="append", required=True,
                        help="tracker (results) name; repeat to overlay several trackers")
    parser.add_argument("--sequence", required=True)
    parser.add_argument("--run", type=int, metavar="ANCHOR",
                        help="with --workspace: the run started at this anchor frame (default: the first anchor)")
    parser.add_argument("--out", type=Path, required=True, help="FILE.mp4 (video) or FILE.png (contact sheet)")
    parser.add_argument("--width", type=int, default=1280, help="output width in pixels at most (default 1280)")
    parser.add_argument("--tiles", type=int, default=8, help="frames on a contact sheet (default 8)")
    parser.add_argument("--fps", type=float, default=20.0, help="video frame rate (default 20, the stack's)")
    args = parser.parse_args(list(argv))
    if args.results is not None and (args.dataset is None or args.root is None):
        parser.error("--results needs --dataset and --root")
    if args.workspace is not None and (args.dataset is not None or args.root is not None):
        parser.error("--dataset and --root go with --results, not --workspace")
    if args.results is not None and args.run is not None:
        parser.error("--run picks a multistart run: it goes with --workspace")
    if args.width < 64 or args.tiles < 1 or args.fps <= 0:
        parser.error("--width must be at least 64, --tiles at least 1 and --fps positive")
    if len(set(args.tracker)) != len(args.tracker):
        parser.error("a tracker is named twice")
    return args


def check_output(out: Path) -> str:
    """The output kind ('.mp4' or '.png'); raises ShowError for another extension or a path that cannot be written."""
    ext = out.suffix.lower()
    if ext not in EXTENSIONS:
        raise ShowError(f"unknown output extension {out.suffix or '(none)'!r} of {out}: use .mp4 (video) or .png "
                        "(contact sheet)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ShowError(f"cannot write {out}: {err.strerror or err}") from None
    if out.is_dir() or not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ShowError(f"cannot write {out}: not a writable file path")
    return ext


def summary(run: Run) -> str:
    """Per tracker: mean IoU after the first frame, where it failed, how many frames the realtime mode skipped."""
    parts = []
    for t in run.tracks:
        scored = t.overlaps[1:][np.isfinite(t.overlaps[1:])]
        text = f"{t.name} mean IoU {scored.mean():.3f}" if len(scored) else f"{t.name} mean IoU -"
        if t.failure is not None:
            text += f", {run.failure_label} at frame {int(run.frames[t.failure])}"
        if t.skipped is not None and t.skipped.any():
            text += f", {int(t.skipped.sum())} frames skipped by the realtime mode"
        parts.append(text)
    return "; ".join(parts)


def main(argv: Optional[Seq[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        kind = check_output(args.out)
        if args.workspace is not None:
            run = load_workspace_run(args.workspace, args.tracker, args.sequence, args.run)
        else:
            run = load_one_pass_run(args.results, args.dataset, args.root, args.tracker, args.sequence)
        if kind == ".mp4":
            frames, size = write_video(run, args.out, args.width, args.fps)
            what = f"video, {frames} frames, {size[0]}x{size[1]}"
        else:
            sheet = render_sheet(run, args.width, args.tiles)
            if not cv2.imwrite(str(args.out), sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9]):  # noisy frames: ~25 % smaller
                raise ShowError(f"cannot write {args.out}")
            what = f"contact sheet, {min(args.tiles, len(run.frames))} frames, {sheet.shape[1]}x{sheet.shape[0]}"
    except ShowError as err:
        print(f"python -m tracker.show: {err}", file=sys.stderr)
        return 2
    print(f"{args.out} ({what}): {run.title}; {summary(run)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
