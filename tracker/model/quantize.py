"""The frozen backbone graph in int8: ONNX Runtime static quantization (int8 weights per output channel, uint8
activations) calibrated on real photographs, so the largest fixed cost of a CPU frame runs on integer kernels.

Calibration reads the photographs scikit-image ships (``tracker.data.photo_scenes``): crops at several zooms, each
with its grey copy standing in for thermal, as the tracker's search crops pair them. Nothing is downloaded; the
quantized graph lives in memory only, rebuilt in each process (about 2 s, before the TraX handshake).
"""
from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

# Photographs of varied content (people, animals, objects, textures, night sky) and crops taken of each.
CALIBRATION_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "camera", "coins", "brick",
                      "grass", "gravel", "moon", "hubble", "text", "retina")
CROPS_PER_PHOTO = 2


def calibration_batches(size: int = 192, seed: int = 0) -> list[np.ndarray]:
    """(2, 3, size, size) float32 0-255 batches: a square photo crop (a quarter to all of the shorter side) and its
    grey copy, the [colour; thermal] pair the backbone reads each frame."""
    from ..data.photo_scenes import _photo  # the reader of scikit-image's photographs

    rng = np.random.default_rng(seed)
    batches = []
    for name in CALIBRATION_PHOTOS:
        image = _photo(name)
        h, w = image.shape[:2]
        for _ in range(CROPS_PER_PHOTO):
            side = int(rng.integers(min(h, w) // 4, min(h, w) + 1))
            y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            crop = cv2.resize(image[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_AREA)
            colour = crop.astype(np.float32).transpose(2, 0, 1)
            grey = np.repeat(colour.mean(0, keepdims=True), 3, axis=0)
            batches.append(np.stack([colour, grey]))
    return batches


def quantize(model: bytes, input_name: str = "x") -> bytes:
    """A float ONNX graph (bytes) -> its int8 graph, activation ranges from :func:`calibration_batches`."""
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(calibration_batches())

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {input_name: batch}

    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        source.write_bytes(model)
        # Errors only, on stderr: the calibration sessions warn about each initializer the exporter left unused,
        # and the quantizer (on the root logger) suggests a shape-inference pass that changes nothing here.
        root, level = logging.getLogger(), logging.getLogger().level
        ort.set_default_logger_severity(3)
        root.setLevel(logging.ERROR)
        try:  # stdout may be the TraX channel: anything the quantizer prints goes to stderr
            with contextlib.redirect_stdout(sys.stderr):
                quantize_static(str(source), str(target), Reader(), quant_format=QuantFormat.QDQ,
                                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        finally:
            ort.set_default_logger_severity(2)
            root.setLevel(level)
        return target.read_bytes()
