"""Target centre to a few crop pixels by a discriminative correlation filter on the search crop (DSST's
translation filter, Danelljan et al. 2014).

The classifier scores candidate boxes; near the target every candidate that covers it scores about the same, so the
top-k mean lands a tenth of the target's width off its centre on real footage. This filter learns the target's
gradient pattern (the scale filter's orientation histograms of the grey colour crop and thermal, 4 x 4 pixel cells,
over the crop's central 128 x 128 pixels) and places it to a fraction of a cell; the tracker moves the classifier's
centre to the filter's peak only when that lies close to it, so the classifier still decides where the target is.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .scale_filter import BINS, CELL, gradient_histograms, parabola_peak, running_average

REG = 1e-2  # ridge term of the denominator, relative to its mean
SPAN = 128  # side of the crop's central square the filter reads, pixels (the target is about 56 of 192)


class TranslationFilter:
    """Learns the target's look on the first frame, blends in confident frames (rate ``lr``), and finds it again in
    a crop of the same zoom (``locate``)."""

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.grid: Optional[tuple[int, int]] = None  # (rows, cols) of cells
        self.corner = np.zeros(2, int)  # (x, y) of the read square in the crop
        self._last: tuple = (None, None)  # (pixels, their features)
        self.window: Optional[np.ndarray] = None  # (rows, cols, 1) Hann window over the read square
        self.g_hat: Optional[np.ndarray] = None  # (rows, cols) desired response, peak at cell (0, 0)
        self.num: Optional[np.ndarray] = None  # (rows, cols, D) complex: conj(G) F, averaged over frames
        self.den: Optional[np.ndarray] = None  # (rows, cols): sum over features of |F|^2, averaged over frames

    def reset(self, pixels: np.ndarray, centre: np.ndarray, size: np.ndarray) -> None:
        """First frame: the target at ``centre`` with ``size`` (crop pixels) in the (S, S, C) crop ``pixels``."""
        span = min(SPAN, *pixels.shape[:2])
        self.corner = (np.array(pixels.shape[1::-1]) - span) // 2
        rows = cols = span // CELL
        self.grid = (rows, cols)
        self.window = (np.hanning(rows + 2)[1:-1, None] * np.hanning(cols + 2)[None, 1:-1])[..., None]
        sigma = np.sqrt(size[0] * size[1]) / 16 / CELL  # DSST's 1/16 of the target size, in cells
        dy = np.minimum(np.arange(rows), rows - np.arange(rows))[:, None]  # circular distance to cell (0, 0)
        dx = np.minimum(np.arange(cols), cols - np.arange(cols))[None]
        self.g_hat = np.fft.fft2(np.exp(-0.5 * (dx ** 2 + dy ** 2) / max(sigma, 0.5) ** 2))
        self.num = self.den = None
        self._last = (None, None)
        self.update(pixels, centre)

    def features(self, pixels: np.ndarray) -> np.ndarray:
        """(rows, cols, C * BINS) orientation histograms of the read square's cells, before the window; kept for the
        last crop (a frame locates and then learns on the same one)."""
        if self._last[0] is not pixels:
            rows, cols = self.grid
            (x, y), c = self.corner, pixels.shape[2]
            h = gradient_histograms(pixels[None, y: y + rows * CELL, x: x + cols * CELL])  # (1, C * cells * BINS)
            self._last = (pixels, h.reshape(c, rows, cols, BINS).transpose(1, 2, 0, 3).reshape(rows, cols, c * BINS))
        return self._last[1]

    def update(self, pixels: np.ndarray, centre: np.ndarray) -> None:
        """Blend in the target at ``centre`` (crop pixels), the crop's cells rolled so that it sits at the window's
        centre cell, as on the first frame."""
        rows, cols = self.grid
        middle = np.array([rows // 2, cols // 2])  # (row, col) of the window's centre cell
        cell = self.to_cells(np.asarray(centre))[::-1]  # (row, col) of the target
        at = np.round(cell).astype(int)
        x = np.roll(self.features(pixels), tuple(middle - at), axis=(0, 1)) * self.window
        # The desired response peaks where the target now is: the window's centre cell plus the part of a cell the
        # roll could not move (the Gaussian moved there from (0, 0) by a phase ramp).
        g_hat = self.g_hat * self._phase(*(middle + cell - at))
        f = np.fft.fft2(x, axes=(0, 1))
        num = np.conj(g_hat)[..., None] * f
        den = np.sum(f.real ** 2 + f.imag ** 2, axis=2)
        self.num, self.den = running_average(self.num, num, self.lr), running_average(self.den, den, self.lr)

    def locate(self, pixels: np.ndarray) -> Optional[np.ndarray]:
        """The target's centre (x, y) in the crop, pixels to a fraction of a cell; None when the model saw no
        gradients (flat crops) or the response is not finite."""
        if not self.den.mean() > 0:
            return None
        z = np.fft.fft2(self.features(pixels) * self.window, axes=(0, 1))
        response = np.fft.ifft2(np.sum(np.conj(self.num) * z, axis=2) / (self.den + REG * self.den.mean())).real
        if not np.all(np.isfinite(response)):
            return None
        rows, cols = self.grid
        r, c = np.unravel_index(int(np.argmax(response)), response.shape)
        offset = [parabola_peak(response[(r - 1) % rows, c], response[r, c], response[(r + 1) % rows, c]),
                  parabola_peak(response[r, (c - 1) % cols], response[r, c], response[r, (c + 1) % cols])]
        # A sample shifted by d cells from the learnt one answers d cells from the window's centre: the response's
        # peak is the target's cell in this crop.
        return self.from_cells(np.array([c + offset[1], r + offset[0]]))

    def to_cells(self, x: np.ndarray) -> np.ndarray:
        """Crop pixel (x, y) -> cell coordinates of the read square (cell j's centre is its pixel CELL j + 1.5)."""
        return (x - self.corner - (CELL - 1) / 2) / CELL

    def from_cells(self, x: np.ndarray) -> np.ndarray:
        return x * CELL + (CELL - 1) / 2 + self.corner

    def _phase(self, dy: float, dx: float) -> np.ndarray:
        """Fourier factor that moves a map by (dy, dx) cells (fractions too)."""
        rows, cols = self.grid
        # Signed frequencies: a fractional shift then interpolates the map instead of modulating it.
        return np.exp(-2j * np.pi * (np.fft.fftfreq(rows)[:, None] * dy + np.fft.fftfreq(cols)[None] * dx))

