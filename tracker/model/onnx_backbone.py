"""The frozen backbone (with the projections after it) through ONNX Runtime on CPU: same convolutions, faster
kernels for the depthwise stages.

Measured on 2 threads, two 192x192 crops: 4.2 ms instead of 11.4 ms in eager PyTorch for the backbone, outputs
equal within 1e-4 (tests/test_fast_path.py). Export happens once per process and set of weights (about 0.3 s, before
the TraX handshake); with ``backend=auto`` any failure leaves PyTorch in place with a log line.
"""
from __future__ import annotations

import io
import logging
import warnings
from typing import Callable, Optional

import numpy as np
import torch
from torch import nn

from .checkpoint import tensor_digest
from .quantize import cached, quantize

log = logging.getLogger("tracker")

# (weights digest, threads, int8 asked for) -> (InferenceSession, whether its graph is the int8 one)
_SESSIONS: dict[tuple[str, int, bool], tuple[object, bool]] = {}


class BackendError(RuntimeError):
    """``backend=onnxruntime`` asked for but not usable here."""


def _session(module: nn.Module, threads: int, int8: bool = False, cache_dir: str = ""):
    import onnxruntime as ort  # optional at import time: ``auto`` falls back to PyTorch without it

    key = (tensor_digest(module.state_dict().items()), threads, int8)
    if key not in _SESSIONS:
        buffer = io.BytesIO()
        example = torch.zeros(2, 3, 64, 64)
        with warnings.catch_warnings():  # the TorchScript-based exporter announces its deprecation
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (example,), buffer, dynamo=False, input_names=["x"], output_names=["y"],
                              opset_version=17, dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}})
        model, quantized = buffer.getvalue(), False
        if int8:
            try:
                model, quantized = cached(model, cache_dir, quantize), True
            except Exception as err:  # a quantizer failure leaves the float graph, which is exact
                log.warning("int8 quantization failed (%s: %s): the backbone runs in float32", type(err).__name__, err)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: the quantized graph's unused initializers are not news
        # Between frames ORT's idle threads must not spin on the cores PyTorch's threads use next.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        _SESSIONS[key] = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"]), quantized
    return _SESSIONS[key]


def onnx_forward(module: nn.Module, threads: int, int8: bool = False,
                 cache_dir: str = "") -> Callable[[torch.Tensor], torch.Tensor]:
    """``module``'s forward (B, 3, H, W) -> (B, C, H/s, W/s) as an ONNX Runtime session (``int8``: its quantized
    graph, ``tracker.model.quantize``, kept in ``cache_dir``; ``forward.int8`` says whether it runs); raises if
    unavailable."""
    session, quantized = _session(module, threads, int8, cache_dir)

    def forward(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {"x": np.ascontiguousarray(x.detach().numpy())})[0])

    forward.int8 = quantized
    return forward


def accelerate(module: nn.Module, backend: str, threads: int, int8: bool = False,
               cache_dir: str = "") -> Optional[Callable[[torch.Tensor], torch.Tensor]]:
    """The forward to run a frozen CPU backbone with: an ONNX Runtime one, or None for PyTorch's own.

    ``auto`` uses ONNX Runtime when it loads and falls back with a log line; ``onnxruntime`` raises
    :class:`BackendError` instead."""
    if backend == "torch":
        return None
    try:
        return onnx_forward(module, threads, int8, cache_dir)
    except Exception as err:  # not installed, an exporter or runtime failure: all leave PyTorch usable
        reason = ("onnxruntime or onnx is not installed (pip install -r requirements.txt)"
                  if isinstance(err, ImportError) else f"{type(err).__name__}: {err}")
        if backend == "onnxruntime":
            raise BackendError(f"backend=onnxruntime: {reason}") from err
        log.warning("ONNX Runtime unavailable (%s): the backbone runs in PyTorch (slower)", reason)
        return None
