"""The verdict's training command: the head over mean-pooled token vectors (``--pooling mean``)."""

import pytest

torch = pytest.importorskip("torch")

from onrecord.attribute.roles import encoder_path  # noqa: E402
from onrecord.train.paraphrase import pooled_classifier  # noqa: E402


def test_mean_pooled_head_gives_one_logit_and_ignores_padding() -> None:
    model = pooled_classifier(torch, encoder_path(), "mean").eval()
    ids = torch.tensor([[101, 2000, 2001, 102], [101, 2000, 102, 0]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    with torch.no_grad():
        out = model(ids, mask, torch.zeros_like(ids))
        alone = model(ids[1:, :3], mask[1:, :3], torch.zeros_like(ids[1:, :3]))
    assert out.shape == (2, 1)
    assert torch.allclose(out[1], alone[0], atol=1e-5)  # a padded row scores as the same row unpadded
