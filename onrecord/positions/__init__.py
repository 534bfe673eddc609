"""Positions: who takes which stance on each issue of an issues file, and how that moves over time.

The data flow of the package: ``issues`` reads an issues file (a codebook); ``match`` finds the stances that
attributed statements take; ``timeline`` groups dated positions per actor or party and period; ``store`` reads
statements from and writes positions to a store; ``cli`` is ``onrecord positions``; ``plot`` draws it.
"""

from onrecord.positions.issues import Issues, load_issues
from onrecord.positions.match import add_positions

__all__ = ["Issues", "add_positions", "load_issues"]
