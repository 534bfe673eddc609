"""`onrecord positions --plot`: stances per group by period and the convergence of two groups, as PNG or SVG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from onrecord.errors import InputError


def plot(result: dict[str, Any], out: str) -> None:
    """One row per issue with positions: stance scores per group by period (left), convergence (right).
    Periods are evenly spaced categories shared by every row, so rows line up."""
    if not Path(out).resolve().parent.is_dir():
        raise InputError(f"{out}: the folder does not exist")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [i for i in result["issues"] if i["groups"]]
    periods = sorted({p["period"] for i in rows for g in i["groups"] for p in g["periods"]})
    x = {p: n for n, p in enumerate(periods)}
    fig, axes = plt.subplots(max(1, len(rows)), 2, figsize=(12, 3.2 * max(1, len(rows))), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 2]})
    if not rows:
        axes[0][0].set_title("no dated positions", loc="left")
    markers = "osD^v<>P"
    # One colour per group across all rows, so a party reads the same everywhere.
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    names = sorted({g["group"] for i in rows for g in i["groups"]})
    colour = {g: palette[n % len(palette)] for n, g in enumerate(names)}
    for (left, right), issue in zip(axes, rows, strict=False):
        scores = [s["score"] for s in issue["stances"]]
        for n, group in enumerate(issue["groups"][:8]):
            pts = [(x[p["period"]], p["score"]) for p in group["periods"]]
            left.plot(*zip(*pts, strict=True), marker=markers[n], alpha=0.8, label=group["name"],
                      color=colour[group["group"]])
        levels = sorted(set(scores))
        left.set_yticks(levels)
        left.set_yticklabels([", ".join(s["id"] for s in issue["stances"] if s["score"] == v) for v in levels])
        pad = 0.1 * (max(scores) - min(scores))
        left.set_ylim(min(scores) - pad, max(scores) + pad)
        left.set_title(f"{issue['id']}: {issue['question']}", fontsize=10, loc="left")
        left.legend(fontsize=8, loc="best")
        conv = issue["convergence"]
        if conv:
            pts = [(x[p["period"]], p["value"]) for p in conv["periods"] if p["value"] is not None]
            if pts:
                right.plot(*zip(*pts, strict=True), marker="s", color="black")
            right.set_title(f"convergence {conv['names'][0]} ↔ {conv['names'][1]}", fontsize=10, loc="left")
        else:
            right.set_title("convergence: no pair of parties", fontsize=10, loc="left")
        right.set_ylim(-0.05, 1.05)
        for ax in (left, right):
            ax.set_xlim(-0.5, max(0.5, len(periods) - 0.5))
            ax.set_xticks(range(len(periods)))
            ax.set_xticklabels(periods, rotation=30, fontsize=8)
            ax.grid(alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(out, format=Path(out).suffix.lower()[1:])
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror})") from None
    finally:
        plt.close(fig)
