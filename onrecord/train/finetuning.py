"""What the fine-tuning commands share: AdamW (Loshchilov & Hutter 2019) under a one-cycle learning rate
(Smith & Topin 2019) that rises linearly over the warm-up share of the steps and falls linearly to zero, and one
gradient step with the gradient norm clipped to 1. torch is imported by the caller (training time only)."""

from __future__ import annotations

from typing import Any


def one_cycle(torch: Any, params: Any, max_lr: float | list[float], steps: int,
              warmup: float) -> tuple[Any, Any]:
    """AdamW over ``params`` (parameters, or groups each with its ``lr``) and its one-cycle schedule over ``steps``;
    ``max_lr``: the peak rate, one per group when there are groups."""
    optimizer = (torch.optim.AdamW(params, weight_decay=0.01) if isinstance(max_lr, list)
                 else torch.optim.AdamW(params, lr=max_lr, weight_decay=0.01))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=steps, pct_start=warmup,
                                                   anneal_strategy="linear")
    return optimizer, schedule


def gradient_step(torch: Any, optimizer: Any, schedule: Any, loss: Any) -> None:
    """Back-propagate ``loss``, clip the gradient norm of every parameter the optimizer updates to 1, step the
    optimizer and the schedule."""
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], 1.0)
    optimizer.step()
    schedule.step()
