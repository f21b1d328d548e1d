"""The full EfficientNet-Lite0 ImageNet classifier: checks that the backbone's weights and normalization are right."""
from __future__ import annotations

import torch
from torch import nn

from tracker.model.backbone import STAGES, EfficientNetLite0Features


class EfficientNetLite0Classifier(EfficientNetLite0Features):
    """The full ImageNet classifier (used to check the weights and normalization)."""

    def __init__(self) -> None:
        super().__init__(blocks=sum(s[0] for s in STAGES))
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=1e-3, momentum=0.01)
        self._fc = nn.Linear(1280, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self._bn1(self._conv_head(super().forward(x))))
        return self._fc(x.mean(dim=(2, 3)))
