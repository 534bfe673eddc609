"""Positions: who takes which stance on each issue of an issues file, and how that moves over time.

The data flow of the package: ``issues`` reads an issues file (a codebook); ``stance`` reads the stance each
attributed statement takes (``match`` holds the shared clause and negation handling, and the older
nearest-example matcher); ``timeline`` groups dated positions per actor or party and period; ``store`` reads
statements from and writes positions to a store; ``cli`` is ``onrecord positions``, ``draft`` is
``onrecord issues draft|check``; ``plot`` draws the chart; ``evaluate`` scores positions gold.

Nothing here is imported by the default analysis: ``onrecord.positions.add_positions`` and ``load_issues`` load
their modules on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["add_positions", "load_issues"]


def __getattr__(name: str) -> Any:
    if name == "add_positions":
        from onrecord.positions.match import add_positions

        return add_positions
    if name == "load_issues":
        from onrecord.positions.issues import load_issues

        return load_issues
    raise AttributeError(name)
