"""The CMI network: ImageNet backbone(s), candidate RoIAlign, CMI fusion, binary classifier."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ModelConfig
from .backbone import EfficientNetLite0Features
from .classifier import BinaryClassifier
from .cmi import CrossModalInteraction
from .onnx_backbone import accelerate
from .roi_align import roi_align

Features = tuple[torch.Tensor, torch.Tensor]


class CMINet(nn.Module):
    """One backbone pass per frame (both modalities as one batch when frozen); candidates are pooled, fused, scored."""

    def __init__(self, cfg: ModelConfig, imagenet: bool = True) -> None:
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.backbone_r = EfficientNetLite0Features(cfg.stride, hierarchical=cfg.hierarchical)
        if imagenet:
            self.backbone_r.load_imagenet()
        if cfg.freeze_stages:
            # Frozen, both modalities' backbones would hold the same ImageNet weights: one module, BatchNorm
            # folded, both modalities in one batch of two (tracker.model.backbone.fold_batchnorm).
            self.backbone_t = self.backbone_r.requires_grad_(False).fold_batchnorm()
        else:  # fine-tuned per modality
            self.backbone_t = copy.deepcopy(self.backbone_r)
        channels = self.backbone_r.out_channels
        # A cheap 1x1 projection on the whole map, before pooling, keeps the per-candidate work small.
        self.proj_r = nn.Conv2d(channels, cfg.embed_dim, 1)
        self.proj_t = nn.Conv2d(channels, cfg.embed_dim, 1)
        positions = cfg.pool_size * cfg.pool_size
        self.cmi = CrossModalInteraction(cfg.embed_dim, cfg.cmi_dim, cfg.reduce_dim, positions, cfg.cmi_mode,
                                         cfg.lambda_init)
        self.feature_dim = 2 * cfg.reduce_dim * positions
        self.classifier = BinaryClassifier(self.feature_dim, cfg.fc_dim, cfg.dropout)
        self.fast_features = None  # SharedFeatures through ONNX Runtime (accelerate)
        self.eval()

    def accelerate(self, backend: str, threads: int, int8: bool = False, cache_dir: str = "") -> None:
        """Run the frozen, shared backbone and the projections through ONNX Runtime outside autograd
        (``tracker.model.onnx_backbone``); ``backend`` auto | torch | onnxruntime. A fine-tuned backbone stays in
        PyTorch. ``int8``: ONNX Runtime runs the graph quantized (``tracker.model.quantize``), kept in ``cache_dir``
        between processes ("" = not kept)."""
        if self.cfg.freeze_stages:
            self.fast_features = accelerate(SharedFeatures(self.backbone_r, self.proj_r, self.proj_t), backend, threads,
                                            int8, cache_dir)

    @property
    def stride(self) -> int:
        return self.cfg.stride

    def train(self, mode: bool = True) -> "CMINet":
        super().train(mode)
        if self.cfg.freeze_stages:  # frozen BatchNorm statistics stay ImageNet's
            self.backbone_r.eval()
            self.backbone_t.eval()
        return self

    def set_num_domains(self, count: int) -> None:
        self.classifier.set_num_domains(count)

    def extract(self, rgb: torch.Tensor, tir: torch.Tensor) -> Features:
        """rgb (B, 3, H, W), tir (B, 1, H, W), 0-255 -> (F_R, F_T), each (B, embed_dim, H/s, W/s).

        With ``modalities`` rgb or tir the other modality's features are zero (and not computed).
        """
        use_r, use_t = self.cfg.modalities in ("rgbt", "rgb"), self.cfg.modalities in ("rgbt", "tir")
        tir = tir.expand(-1, 3, -1, -1)
        if use_r and use_t and self.backbone_t is self.backbone_r:
            both = torch.cat([rgb, tir])
            if self.fast_features is not None and not torch.is_grad_enabled():
                return self.fast_features(both).chunk(2)
            return SharedFeatures(self.backbone_r, self.proj_r, self.proj_t)(both).chunk(2)
        b_r = self.backbone_r(rgb) if use_r else None
        b_t = self.backbone_t(tir) if use_t else None
        f_r = F.relu(self.proj_r(b_r)) if use_r else None
        f_t = F.relu(self.proj_t(b_t)) if use_t else None
        ref = f_r if f_r is not None else f_t
        return (f_r if f_r is not None else torch.zeros_like(ref), f_t if f_t is not None else torch.zeros_like(ref))

    def pool(self, feats: Features, boxes: torch.Tensor) -> Features:
        """RoIAlign of (N, 4) x1y1x2y2 boxes from both maps -> (N, embed_dim, P, P) each (one sampling pass over
        the maps stacked by channel: the grid is the same)."""
        pooled = roi_align(torch.cat(feats, 1), boxes, self.stride, self.cfg.pool_size, self.cfg.pool_sampling)
        return tuple(pooled.split([f.shape[1] for f in feats], dim=1))

    def candidate_features(self, feats: Features, boxes: torch.Tensor) -> torch.Tensor:
        """(N, 4) x1y1x2y2 input-pixel boxes -> (N, feature_dim) CMI-fused features."""
        p_r, p_t = self.pool(feats, boxes)
        return self.cmi(p_r, p_t).flatten(1)  # (N, 2 * reduce_dim * P * P)


class SharedFeatures(nn.Module):
    """Both modalities through one frozen backbone as a batch, then each through its projection:
    [RGB; thermal] (2B, 3, H, W) -> [F_R; F_T] (2B, embed_dim, H/s, W/s). Not a submodule of CMINet (its parts are)."""

    def __init__(self, backbone: nn.Module, proj_r: nn.Module, proj_t: nn.Module) -> None:
        super().__init__()
        self.backbone, self.proj_r, self.proj_t = backbone, proj_r, proj_t

    def forward(self, both: torch.Tensor) -> torch.Tensor:
        b_r, b_t = self.backbone(both.contiguous(memory_format=torch.channels_last)).chunk(2)
        return torch.cat([F.relu(self.proj_r(b_r)), F.relu(self.proj_t(b_t))])
