"""One onnxruntime session per model: the check-worthiness encoder, the stance encoder, the "same claim" verdict
and the pronoun reader all run this way, on CPU, without torch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onrecord.errors import OnrecordError


def onnx_session(model: str | Path | bytes, threads: int = 1, what: str = "this model", build: str = "") -> Any:
    """An ``onnxruntime.InferenceSession`` of ``model`` (a file, or a serialised graph) on ``threads`` intra-op
    threads and one inter-op thread: an article gives a few sentences at a time, a second thread mostly spins,
    and corpus runs parallelise by process. A missing file is a clear error naming ``build``, the command that
    makes it."""
    if not isinstance(model, bytes) and not Path(model).exists():
        raise OnrecordError(f"{what} is missing: {model}" + (f" ({build})" if build else ""))
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise OnrecordError(f"{what} needs {exc.name}: pip install onnxruntime") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
