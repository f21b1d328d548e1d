"""The int8 backbone graph kept between processes (tracker.model.quantize.cached): built once per float graph, read
back after; a folder that cannot be written or a damaged file costs a rebuild, never a failed start."""
from __future__ import annotations

import logging

import onnx
from onnx import TensorProto, helper

from tracker.model.quantize import cached


def graph(name: str) -> bytes:
    """A valid one-node ONNX model; ``name`` makes its bytes differ."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    return helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], name, [x], [y])
                             ).SerializeToString()


class Builder:
    """Stands in for the quantizer: counts its calls, returns a distinct valid graph per input."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, model: bytes) -> bytes:
        self.calls += 1
        return graph(f"int8-{len(model)}-{self.calls}")


def test_a_graph_is_built_once_then_read_back_and_another_graph_is_built_anew(tmp_path):
    build = Builder()
    first = cached(graph("float-a"), str(tmp_path), build)
    assert cached(graph("float-a"), str(tmp_path), build) == first and build.calls == 1
    assert len(list(tmp_path.glob("backbone-int8-*.onnx"))) == 1
    assert cached(graph("float-bb"), str(tmp_path), build) != first and build.calls == 2
    assert not list(tmp_path.glob("*.tmp"))  # no partial file left behind


def test_no_cache_folder_builds_every_time(tmp_path):
    build = Builder()
    cached(graph("float-a"), "", build)
    cached(graph("float-a"), "", build)
    assert build.calls == 2


def test_a_folder_that_cannot_be_written_costs_a_rebuild_and_a_log_line(tmp_path, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    build = Builder()
    with caplog.at_level(logging.INFO, logger="tracker"):
        data = cached(graph("float-a"), str(blocked / "cache"), build)
    onnx.load_from_string(data)
    assert build.calls == 1 and "int8 backbone not cached" in caplog.text


def test_a_damaged_cache_file_is_rebuilt_and_replaced(tmp_path, caplog):
    build = Builder()
    good = cached(graph("float-a"), str(tmp_path), build)
    (path,) = tmp_path.glob("backbone-int8-*.onnx")
    path.write_bytes(good[: len(good) // 2])  # a truncated file
    with caplog.at_level(logging.INFO, logger="tracker"):
        again = cached(graph("float-a"), str(tmp_path), build)
    assert build.calls == 2 and "unusable" in caplog.text
    assert path.read_bytes() == again and onnx.load_from_string(again)
