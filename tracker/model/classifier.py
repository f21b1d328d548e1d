"""Binary classifier fc4 -> fc5 -> fc6 (background / foreground), MDNet style.

Offline training uses one fc6 head per training sequence (multi-domain); tracking uses
one fresh online head trained on the first frame and updated online.
"""
from __future__ import annotations

from typing import Iterator, Optional

import torch
from torch import nn


class Dropout(nn.Module):
    """nn.Dropout drawn as uniform < p: on CPU nn.Dropout's bernoulli_ takes 0.36 ms for a 128x256 batch, this
    0.14 ms, and the tracker's online updates run two per step."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


class BinaryClassifier(nn.Module):
    def __init__(self, in_dim: int, hidden: int, dropout: float, domains: int = 0) -> None:
        super().__init__()
        self.fc4 = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(inplace=True), Dropout(dropout))
        self.fc5 = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(inplace=True), Dropout(dropout))
        self.hidden = hidden
        self.domains = nn.ModuleList(nn.Linear(hidden, 2) for _ in range(domains))
        self.online = nn.Linear(hidden, 2)

    def set_num_domains(self, count: int) -> None:
        self.domains = nn.ModuleList(nn.Linear(self.hidden, 2) for _ in range(count))

    def forward(self, x: torch.Tensor, domain: Optional[int] = None) -> torch.Tensor:
        """(N, in_dim) -> (N, 2) logits; ``domain=None`` uses the online head."""
        return self.head(self.fc4(x), domain)

    def head(self, h4: torch.Tensor, domain: Optional[int] = None) -> torch.Tensor:
        """fc5 and fc6 on fc4 activations (N, hidden) -> (N, 2) logits."""
        return (self.online if domain is None else self.domains[domain])(self.fc5(h4))

    def reset_hidden(self) -> None:
        """Fresh fc4 and fc5 (PyTorch's default initialisation, from the global RNG)."""
        self.fc4[0].reset_parameters()
        self.fc5[0].reset_parameters()

    def reset_online_head(self, generator: Optional[torch.Generator] = None) -> None:
        """Fresh fc6 for a new target (small random weights, zero bias)."""
        with torch.no_grad():
            self.online.weight.normal_(0.0, 0.01, generator=generator)
            self.online.bias.zero_()

    def online_parameters(self, fc4: bool = True) -> Iterator[nn.Parameter]:
        """What the tracker fine-tunes online: (fc4,) fc5 and the online fc6."""
        if fc4:
            yield from self.fc4.parameters()
        yield from self.fc5.parameters()
        yield from self.online.parameters()
