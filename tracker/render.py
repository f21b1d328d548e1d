"""Drawing for ``tracker.show``: colour and thermal panels with boxes, a text header, the IoU/confidence strip, sheets.

Pure functions on BGR uint8 arrays (OpenCV's order, so frames go to ``cv2.VideoWriter``/``cv2.imwrite`` as they
are); reading runs and writing files is ``tracker.show``'s business. Boxes are (x, y, w, h) in the pixels of the
image they belong to; a :class:`Layout` maps them onto the downscaled output.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

# Tracker colours (BGR): matplotlib's tab10 without its green, which is the ground truth's.
PALETTE = ((40, 39, 214), (180, 119, 31), (14, 127, 255), (189, 103, 148), (207, 190, 23), (194, 119, 227),
           (34, 189, 188), (75, 86, 140))
GT_COLOR = (0, 220, 0)
HEADER_BG = (32, 32, 32)
TEXT_COLOR = (235, 235, 235)
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.45
ROW_HEIGHT = 18       # px per header text row
SLOT_WIDTH = 230      # px per tracker entry in the header unless the caller measures its own
GAP = 8               # px between the colour and the thermal panel
BOX_THICKNESS = 2
STRIP_HEIGHT = 200    # px of the IoU/confidence strip plot


def tracker_color(index: int) -> tuple[int, int, int]:
    """BGR colour of the ``index``-th tracker (the palette repeats after 8)."""
    return PALETTE[index % len(PALETTE)]


def mpl_color(bgr: Sequence[int]) -> tuple[float, float, float]:
    """A BGR colour as matplotlib's RGB in [0, 1]."""
    return bgr[2] / 255.0, bgr[1] / 255.0, bgr[0] / 255.0


@dataclass(frozen=True)
class Panel:
    """Where one modality's image sits in the output: origin and displayed size in output pixels."""

    x: int
    y: int
    width: int
    height: int
    scale_x: float  # output pixels per pixel of the image the boxes refer to
    scale_y: float

    def to_output(self, box: Sequence[float]) -> tuple[int, int, int, int]:
        """Box corners (x0, y0, x1, y1) in output pixels, relative to this panel's origin."""
        x, y, w, h = box
        return (round(x * self.scale_x), round(y * self.scale_y),
                round((x + w) * self.scale_x), round((y + h) * self.scale_y))


@dataclass(frozen=True)
class Layout:
    """Geometry of one rendered frame: header rows above the colour and thermal panels, side by side."""

    width: int
    height: int
    header: int
    color: Panel
    ir: Panel
    slot: int = SLOT_WIDTH  # px per tracker entry of the header


def text_width(text: str) -> int:
    """Pixels ``text`` takes in the header font."""
    return cv2.getTextSize(text, FONT, FONT_SCALE, 1)[0][0]


def header_rows(width: int, entries: int, slot: int = SLOT_WIDTH) -> int:
    """Text rows of the header: one for the frame line, then ``entries`` tracker slots per available width."""
    per_row = max(1, width // slot)
    return 1 + math.ceil(entries / per_row)


def layout(color_size: tuple[int, int], ir_size: tuple[int, int], max_width: int, entries: int,
           box_size: Optional[tuple[int, int]] = None, slot: int = SLOT_WIDTH) -> Layout:
    """Panels of ``color_size`` and ``ir_size`` (w, h) side by side, scaled down together to fit ``max_width``.

    Each modality keeps its own resolution relative to the other (no resampling onto a common grid);
    only the whole frame shrinks, so 1920x1080 pairs come out at ``max_width``. Boxes refer to
    ``box_size`` (default ``ir_size``, the grid ground truth and trackers use); on the colour panel they
    are scaled by the colour/thermal size ratio, as the tracker's frame loader resamples colour onto it.
    The output size is even in both directions (video encoders want that).
    """
    (cw, ch), (iw, ih) = color_size, ir_size
    bw, bh = box_size or ir_size
    s = min(1.0, (max_width - GAP) / float(cw + iw))
    dcw, dch, diw, dih = (max(1, round(v * s)) for v in (cw, ch, iw, ih))
    width = dcw + GAP + diw
    width += width % 2
    header = ROW_HEIGHT * header_rows(width, entries, slot) + 4
    height = header + max(dch, dih)
    height += height % 2
    color = Panel(0, header, dcw, dch, dcw / bw, dch / bh)
    ir = Panel(dcw + GAP, header, diw, dih, diw / bw, dih / bh)
    return Layout(width, height, header, color, ir, slot)


def fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` resized to (width, height) (area averaging when shrinking), 3-channel BGR."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if (image.shape[1], image.shape[0]) == (width, height):
        return image
    shrink = width < image.shape[1] or height < image.shape[0]
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def draw_box(canvas: np.ndarray, panel: Panel, box: Sequence[float], color: Sequence[int],
             thickness: int = BOX_THICKNESS) -> None:
    """Draw ``box`` (image pixels) on ``panel`` of ``canvas``, clipped to the panel; NaN boxes draw nothing."""
    if box is None or not np.all(np.isfinite(box)):
        return
    x0, y0, x1, y1 = panel.to_output(box)
    view = canvas[panel.y:panel.y + panel.height, panel.x:panel.x + panel.width]  # drawing clips to the view
    cv2.rectangle(view, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), tuple(int(c) for c in color), thickness)


def put_text(canvas: np.ndarray, text: str, x: int, y: int, color: Sequence[int] = TEXT_COLOR) -> int:
    """Write ``text`` with its baseline at ``y``; return the x after it."""
    cv2.putText(canvas, text, (x, y), FONT, FONT_SCALE, tuple(int(c) for c in color), 1, cv2.LINE_AA)
    return x + cv2.getTextSize(text, FONT, FONT_SCALE, 1)[0][0]


def compose(lay: Layout, color: np.ndarray, ir: np.ndarray, title: Sequence[tuple[str, Sequence[int]]],
            entries: Sequence[tuple[str, Sequence[int]]], labels: tuple[str, str] = ("RGB", "TIR")) -> np.ndarray:
    """A frame: the ``title`` pieces and the tracker ``entries`` ((text, colour) each) in the header, both panels
    below it."""
    canvas = np.zeros((lay.height, lay.width, 3), np.uint8)
    canvas[:lay.header] = HEADER_BG
    for panel, image, label in ((lay.color, color, labels[0]), (lay.ir, ir, labels[1])):
        canvas[panel.y:panel.y + panel.height, panel.x:panel.x + panel.width] = fit(image, panel.width, panel.height)
        # The modality label sits in the panel's bottom-left corner on a dark patch (boxes rarely go there).
        (tw, th), _ = cv2.getTextSize(label, FONT, FONT_SCALE, 1)
        y = panel.y + panel.height
        cv2.rectangle(canvas, (panel.x, y - th - 6), (panel.x + tw + 6, y - 1), HEADER_BG, -1)
        put_text(canvas, label, panel.x + 3, y - 4)
    x = 4
    for text, col in title:
        x = put_text(canvas, text, x, ROW_HEIGHT - 4, col)
    per_row = max(1, lay.width // lay.slot)
    for k, (text, col) in enumerate(entries):
        row, slot = divmod(k, per_row)
        put_text(canvas, text, 4 + slot * lay.slot, ROW_HEIGHT * (row + 2) - 4, col)
    return canvas


def strip_plot(frames: np.ndarray, series: Sequence[dict], width: int, height: int = STRIP_HEIGHT,
               marks: Sequence[int] = (), confidence_note: str = "") -> tuple[np.ndarray, np.ndarray]:
    """IoU (top) and confidence (bottom) over the run, one line per tracker, failures as dashed lines.

    ``frames`` are the sequence frame numbers in the order the run played them (a backward run plots with
    its axis reversed, so time still runs left to right); each of ``series`` has ``name``, ``color`` (BGR),
    ``iou``, ``confidence`` (arrays over ``frames``), ``failure`` (position in ``frames`` or None) and optionally
    ``skipped`` (bool array: frames the realtime mode skipped, drawn as a band under the IoU line).
    ``marks`` are frame numbers drawn as thin grey lines (the frames of a contact sheet). Returns the BGR
    image and, for each position of ``frames``, its x pixel (where a video draws its cursor).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True)
    fig.subplots_adjust(left=60 / width, right=1 - 12 / width, top=1 - 22 / height, bottom=0.2, hspace=0.12)
    has_confidence = False
    for s in series:
        color = mpl_color(s["color"])
        top.plot(frames, s["iou"], color=color, lw=1, label=s["name"])
        conf = np.asarray(s["confidence"], float)
        if np.isfinite(conf).any():
            has_confidence = True
            bottom.plot(frames, conf, color=color, lw=1)
        skipped = s.get("skipped")
        if skipped is not None and np.any(skipped):
            top.fill_between(frames, 0, 0.06, where=skipped, color=color, alpha=0.5, step="mid", lw=0,
                             label=f"{s['name']} skipped (late)")
        if s.get("failure") is not None:
            for ax in (top, bottom):
                ax.axvline(frames[s["failure"]], color=color, ls="--", lw=1)
            top.plot([frames[s["failure"]]], [0.05], marker="x", color=color, ms=6, mew=2)
    for f in marks:
        for ax in (top, bottom):
            ax.axvline(f, color="0.75", lw=0.6, zorder=0)
    lo, hi = (int(frames.min()), int(frames.max())) if len(frames) else (0, 1)
    top.set_xlim(*((hi, lo) if len(frames) > 1 and frames[-1] < frames[0] else (lo, max(hi, lo + 1))))
    top.set_ylim(0, 1.05)
    top.set_ylabel("IoU", fontsize=7)
    bottom.set_ylabel("confidence\n(raw score)", fontsize=7)
    bottom.set_xlabel("frame" + ("  (run played backward)" if len(frames) > 1 and frames[-1] < frames[0] else ""),
                      fontsize=7)
    if not has_confidence:
        bottom.set_yticks([])
        bottom.text(0.5, 0.5, confidence_note or "no confidence stored", transform=bottom.transAxes,
                    ha="center", va="center", fontsize=7, color="0.4")
    for ax in (top, bottom):
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    if series:
        # Above the plot, where it hides no curve.
        top.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2 * len(series), frameon=False,
                   borderaxespad=0.2, handlelength=1.5)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())
    xs = top.transData.transform(np.c_[frames, np.zeros(len(frames))])[:, 0] if len(frames) else np.zeros(0)
    image = cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR)
    if image.shape[1] != width or image.shape[0] != height:  # figure size rounding: at most a pixel
        xs = xs * width / image.shape[1]
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return image, xs


def with_cursor(strip: np.ndarray, x: float) -> np.ndarray:
    """A copy of ``strip`` with a vertical cursor line at pixel ``x`` (the current frame of a video)."""
    out = strip.copy()
    xi = int(round(x))
    cv2.line(out, (xi, 0), (xi, out.shape[0] - 1), (0, 0, 0), 1)
    return out


def title_bar(text: str, width: int) -> np.ndarray:
    """One dark text row of ``width`` pixels (a contact sheet's title)."""
    bar = np.full((ROW_HEIGHT + 6, width, 3), HEADER_BG, np.uint8)
    put_text(bar, text, 4, ROW_HEIGHT)
    return bar


def contact_sheet(tiles: Sequence[np.ndarray], columns: int, strip: np.ndarray,
                  title: Optional[np.ndarray] = None) -> np.ndarray:
    """``tiles`` (same size) in a grid of ``columns``, the strip plot under them, ``title`` above; BGR."""
    if not tiles:
        raise ValueError("a contact sheet needs at least one tile")
    th, tw = tiles[0].shape[:2]
    rows = math.ceil(len(tiles) / columns)
    grid = np.zeros((rows * th, columns * tw, 3), np.uint8)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        grid[r * th:(r + 1) * th, c * tw:(c + 1) * tw] = tile
    parts = ([title] if title is not None else []) + [grid, fit(strip, grid.shape[1], strip.shape[0])]
    return np.vstack(parts)
