"""The shared optimiser set-up and gradient step of the fine-tuning commands."""

import pytest

torch = pytest.importorskip("torch")

from onrecord.train.finetuning import gradient_step, one_cycle  # noqa: E402


def _model() -> "torch.nn.Module":
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))


def _loss(model: "torch.nn.Module", scale: float) -> "torch.Tensor":
    x = torch.arange(8.0).reshape(2, 4) * scale  # large inputs: the gradient norm exceeds 1, so clipping matters
    return ((model(x) - 1.0) ** 2).sum()


def test_gradient_step_is_adamw_one_cycle_with_clipping():
    ours, theirs = _model(), _model()
    opt, schedule = one_cycle(torch, ours.parameters(), 1e-2, steps=6, warmup=0.5)
    ref_opt = torch.optim.AdamW(theirs.parameters(), lr=1e-2, weight_decay=0.01)
    ref_schedule = torch.optim.lr_scheduler.OneCycleLR(ref_opt, max_lr=1e-2, total_steps=6, pct_start=0.5,
                                                       anneal_strategy="linear")
    for _ in range(5):
        gradient_step(torch, opt, schedule, _loss(ours, 10.0))
        loss = _loss(theirs, 10.0)
        ref_opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
        ref_opt.step()
        ref_schedule.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.allclose(a, b)
    assert schedule.get_last_lr() == pytest.approx(ref_schedule.get_last_lr())
    assert not torch.allclose(next(ours.parameters()), next(_model().parameters()))  # it did learn


def test_one_cycle_groups_peak_at_their_own_rate():
    model = _model()
    groups = [{"params": model[0].parameters(), "lr": 1e-3}, {"params": model[2].parameters(), "lr": 1e-2}]
    opt, schedule = one_cycle(torch, groups, [1e-3, 1e-2], steps=4, warmup=0.5)
    peaks = [0.0, 0.0]
    for _ in range(3):
        gradient_step(torch, opt, schedule, _loss(model, 1.0))
        peaks = [max(p, lr) for p, lr in zip(peaks, schedule.get_last_lr(), strict=True)]
    assert peaks == pytest.approx([1e-3, 1e-2])
