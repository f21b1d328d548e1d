"""The frozen backbone graph in int8: ONNX Runtime static quantization (int8 weights per output channel, uint8
activations) calibrated on real photographs, so the largest fixed cost of a CPU frame runs on integer kernels.

Calibration reads the photographs scikit-image ships (``tracker.data.photo_scenes``): crops at several zooms, each
with its grey copy standing in for thermal, as the tracker's search crops pair them. Nothing is downloaded. The
quantized graph (about 2 s to build, before the TraX handshake) is kept in a cache folder for later processes.
"""
from __future__ import annotations

import contextlib
import hashlib
import inspect
import logging
import sys
import tempfile
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np

from ..atomic_file import write_atomically

# Photographs of varied content (people, animals, objects, textures, night sky) and crops taken of each.
CALIBRATION_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "camera", "coins", "brick",
                      "grass", "gravel", "moon", "hubble", "text", "retina")
CROPS_PER_PHOTO = 2
log = logging.getLogger("tracker")


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


def cached(model: bytes, cache_dir: str, build: Callable[[bytes], bytes]) -> bytes:
    """``build(model)`` (the int8 graph of float graph ``model``), read from ``cache_dir`` when an earlier process
    wrote it there ("" = no cache). A folder that cannot be written only costs the rebuild (logged); a file that
    does not parse is rebuilt."""
    path = _cache_file(model, cache_dir)
    if path is not None and path.is_file():
        import onnx

        try:
            data = path.read_bytes()
            onnx.load_from_string(data)
            return data
        except Exception as err:  # unreadable or truncated: build it again
            log.info("int8 backbone cache %s unusable (%s: %s): rebuilding it", path, type(err).__name__, err)
    data = build(model)
    if path is None:
        return data
    try:  # whole or not at all: a process starting beside this one reads all of it or nothing
        write_atomically(path, lambda fp: fp.write(data))
    except OSError as err:
        log.info("int8 backbone not cached (%s): it is built again in each process", err)
    return data


def _cache_file(model: bytes, cache_dir: str) -> Optional[Path]:
    """Where the int8 graph of ``model`` is kept: named by a digest of ``model``, this module's code, the photo
    reader's and the versions of ONNX Runtime and scikit-image (the calibration photographs), so that a change to
    any of them builds anew. None without a cache folder or where the code cannot be read."""
    if not cache_dir:
        return None
    import onnxruntime
    import skimage

    from ..data.photo_scenes import _photo

    try:
        code = inspect.getsource(sys.modules[__name__]) + inspect.getsource(_photo)
    except (OSError, TypeError) as err:
        log.info("int8 backbone not cached (its code cannot be read: %s)", err)
        return None
    recipe = "\n".join([code, onnxruntime.__version__, skimage.__version__])
    digest = hashlib.sha256(model + recipe.encode()).hexdigest()[:32]
    return Path(cache_dir).expanduser() / f"backbone-int8-{digest}.onnx"
