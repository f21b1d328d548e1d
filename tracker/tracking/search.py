"""One frame's search region: the crop around the last box, its backbone features, and candidate embeddings."""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..api import Images, ReadHint, present_channels
from ..config import TrackConfig
from ..model.network import CMINet
from .contrast import ContrastGain, channel_stats, spread
from .crop import FILL, Crop, cut, search_crop

# Weight of the pooled (RGB, thermal) features in each view of a candidate.
VIEWS = {"rgbt": (1.0, 1.0), "rgb": (1.0, 0.0), "tir": (0.0, 1.0)}
# A crop whose grey levels vary less than this (standard deviation, 0-255) holds no image: a blank or dead channel.
FLAT_STD = 1.0


class SearchRegion:
    """Backbone features of one search crop; turns image-pixel boxes into CMI-fused candidate features."""

    def __init__(self, net: CMINet, crop: Crop, feats: tuple[torch.Tensor, torch.Tensor], device: torch.device,
                 present: tuple[str, ...], reduced_bias: Optional[torch.Tensor] = None,
                 images: Optional[tuple[torch.Tensor, torch.Tensor]] = None, expand: float = 1.0) -> None:
        self.net = net
        self.crop = crop
        self.expand = expand  # the crop's side relative to the usual (wider after failures)
        self.images = images  # the (colour, thermal) crops the backbone read, (1, 3 | 1, S, S) 0-255 on the CPU
        self._pixels: dict[tuple[str, ...], np.ndarray] = {}  # pixels() per channel set
        self.feats = feats
        self.device = device
        self.present = present  # channels with image content in this crop (``tracker.api.CHANNELS`` order)
        # Set when ``feats`` are already through psi's reduction (a CMI module that does not interact): the bias
        # of both modalities' reductions, (2 * reduce_dim,), all that is left to apply per candidate before ReLU.
        self.reduced_bias = reduced_bias

    @staticmethod
    def read_hint(box: np.ndarray, track: TrackConfig, expand: float = 1.0) -> ReadHint:
        """What :meth:`extract` with the same arguments reads of a frame: the crop's area (image xywh) and
        its scale, for the frame loader (``tracker.api.ReadHint``)."""
        crop = search_crop(box, track, expand)
        return ReadHint(crop.area(), crop.scale)

    @classmethod
    def extract(cls, net: CMINet, images: Images, box: np.ndarray, track: TrackConfig, device: torch.device,
                expand: float = 1.0, gain: Optional[ContrastGain] = None,
                degrade: Optional[Callable[[torch.Tensor], torch.Tensor]] = None) -> "SearchRegion":
        """Crop around ``box`` (``expand`` times the usual side) and run the backbone on both modalities;
        ``gain`` corrects the colour crop's contrast first (``tracker.tracking.contrast``); ``degrade`` changes the
        colour crop before anything reads it (training views, ``tracker.tracking.low_light``).

        A missing channel is cut as the neutral fill and contributes zero features, as in the single-modality
        training views; so does a channel whose crop is flat (a blank frame), unless both are."""
        crop = search_crop(box, track, expand)
        rgb = cut(images.get("color"), crop, 3)
        tir = cut(images.get("ir"), crop, 1)
        if degrade is not None and images.get("color") is not None:
            rgb = degrade(rgb)
        present = present_channels(images)
        stats = {c: channel_stats(x) for c, x in (("color", rgb), ("ir", tir)) if c in present}
        content = tuple(c for c in stats if spread(stats[c]) >= FLAT_STD)
        present = content or present
        if gain is not None and "color" in present:  # night darkens the colour camera; thermal needs no light
            rgb = gain("color", rgb, stats["color"])
        with torch.no_grad():
            f_r, f_t = net.extract(rgb.to(device), tir.to(device))
        if "color" not in present:
            f_r = torch.zeros_like(f_r)
        if "ir" not in present:
            f_t = torch.zeros_like(f_t)
        with torch.no_grad():
            reduction = net.cmi.concat_reduction()
            if reduction is None:
                return cls(net, crop, (f_r, f_t), device, present, images=(rgb, tir), expand=expand)
            # Concat fusion is a 1x1 reduction per modality: applied once to the (1, C, h, w) maps instead of to
            # every candidate's P x P pooled cells (8000 a frame vs 576).
            (w_r, b_r), (w_t, b_t) = reduction["R"], reduction["T"]
            f_r, f_t = (f if w is None else F.conv2d(f, w[:, :, None, None]) for f, w in ((f_r, w_r), (f_t, w_t)))
            return cls(net, crop, (f_r, f_t), device, present, torch.cat([b_r, b_t]), (rgb, tir), expand)

    def pixels(self, channels: Sequence[str] = ("color", "ir")) -> np.ndarray:
        """(S, S, 2) float32 crop: grey level of the colour crop and thermal; flat where a channel is not among
        ``channels`` or has no content. Built once per crop: the scale and translation filters read it to estimate
        and to learn."""
        channels = tuple(channels)
        if channels not in self._pixels:
            rgb, tir = self.images
            use = [c in channels and c in self.present for c in ("color", "ir")]
            grey = rgb[0].mean(0) if use[0] else torch.full_like(tir[0, 0], FILL)
            thermal = tir[0, 0] if use[1] else torch.full_like(grey, FILL)
            self._pixels[channels] = torch.stack([grey, thermal], 2).numpy()
        return self._pixels[channels]

    def area(self) -> tuple[float, float, float, float]:
        """The crop in image xywh (where far negatives and re-detection candidates are drawn)."""
        return self.crop.area()

    def embed(self, boxes: np.ndarray) -> torch.Tensor:
        """(N, 4) image xywh boxes -> (N, feature_dim) fused features."""
        return self.fuse(self.pool(boxes), ("rgbt",))[0]

    def pool(self, boxes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """RoIAlign of (N, 4) image xywh boxes from both maps, (N, C, P, P) each: pooled once, fused per view
        (:meth:`fuse`) as often as needed."""
        with torch.no_grad():
            return self.net.pool(self.feats, self.crop.boxes_to_crop(boxes).to(self.device))

    def fuse(self, pooled: tuple[torch.Tensor, torch.Tensor],
             views: Sequence[str] = ("rgb", "tir")) -> tuple[torch.Tensor, ...]:
        """Candidate features of pooled boxes per view: ``rgbt`` both modalities, ``rgb``/``tir`` the other one
        zeroed. RoIAlign is linear, so zeroing a pooled modality equals pooling a zeroed map: one CMI pass serves
        every view."""
        p_r, p_t = pooled
        if views == ("rgbt",):  # every frame's candidates: no scaled copies
            inputs = (p_r, p_t)
        else:
            # A view keeps a modality's rows or zeroes them (its weight is 1 or 0): no scaled copies.
            inputs = tuple(torch.cat([p if VIEWS[v][m] else torch.zeros_like(p) for v in views])
                           for m, p in enumerate(pooled))
        with torch.no_grad():
            if self.reduced_bias is None:
                fused = self.net.cmi(*inputs)
            else:  # psi's reduction is already in the maps: its bias and ReLU are left, in place on the new tensor
                fused = torch.cat(inputs, 1).add_(self.reduced_bias[:, None, None]).relu_()
        return fused.flatten(1).split(len(p_r))  # len(views) x (N, feature_dim)

    def embed_views(self, boxes: np.ndarray, views: Sequence[str] = ("rgb", "tir")) -> tuple[torch.Tensor, ...]:
        """:meth:`fuse` of freshly pooled ``boxes``."""
        return self.fuse(self.pool(boxes), views)
