"""Forward time per frame of the CMI network on 2 CPU threads, split by stage, for each CMI mode.

Also times the paper-faithful path (every candidate cropped and run through the backbone)
to show what RoIAlign on shared feature maps buys. Run: make bench (or .venv/bin/python -m bench.bench_model)
"""
from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F

from tracker.config import ModelConfig
from tracker.model.network import CMINet

CANDIDATES, CROP, REPEATS = 256, 192, 20


def timed(fn, repeats: int = REPEATS) -> tuple[float, object]:
    """Median milliseconds of ``fn()`` after one warm-up call."""
    out = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), out


def main() -> None:
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    rgb = torch.rand(1, 3, CROP, CROP, generator=g) * 255
    tir = torch.rand(1, 1, CROP, CROP, generator=g) * 255
    xy = torch.rand(CANDIDATES, 2, generator=g) * (CROP - 56)
    boxes = torch.cat([xy, xy + 56], 1)
    print(f"{CANDIDATES} candidates, {CROP}x{CROP} search crop, 2 threads, median of {REPEATS} (ms)\n")
    print("| mode | backbone (both) | pooling | CMI | classifier | total |")
    print("|---|---|---|---|---|---|")
    with torch.inference_mode():
        for mode in ("none", "pixel", "relation", "both"):
            net = CMINet(ModelConfig(cmi_mode=mode))
            with torch.no_grad():  # a trained-looking lambda so the interaction path really runs
                net.cmi.lam["R"].fill_(0.5)
                net.cmi.lam["T"].fill_(0.5)
            t_bb, feats = timed(lambda: net.extract(rgb, tir))
            t_pool, pooled = timed(lambda: net.pool(feats, boxes))
            t_cmi, fused = timed(lambda: net.cmi(*pooled).flatten(1))
            t_cls, _ = timed(lambda: net.classifier(fused))
            total = t_bb + t_pool + t_cmi + t_cls
            print(f"| {mode} | {t_bb:.1f} | {t_pool:.1f} | {t_cmi:.1f} | {t_cls:.1f} | {total:.1f} |")

        # Paper-faithful: crop each candidate to 107x107 and run both backbones on the batch.
        net = CMINet(ModelConfig())
        crops_r = F.interpolate(rgb, size=(107, 107)).expand(CANDIDATES, -1, -1, -1).contiguous()
        crops_t = F.interpolate(tir, size=(107, 107)).expand(CANDIDATES, -1, -1, -1).contiguous()
        t_faithful, _ = timed(lambda: net.extract(crops_r, crops_t), repeats=3)
    print(f"\npaper-faithful backbone pass on {CANDIDATES} crops of 107x107: {t_faithful:.0f} ms "
          f"({t_faithful / total:.0f}x the shared-map path's total)")


if __name__ == "__main__":
    main()
