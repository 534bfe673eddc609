"""Keep torch out of spaCy's start-up.

thinc (spaCy's backend) imports torch at import time whenever it is installed: seconds of start-up
and hundreds of MB for every analysis, though onrecord's spaCy pipeline never uses it. Only the
sentence encoder for positions needs torch, and it still gets it.
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any


class _HideTorchFromThinc(importlib.abc.MetaPathFinder):
    """thinc (spaCy's backend) imports torch at import time whenever it is installed: seconds of start-up and
    hundreds of MB for every `onrecord analyze`, though spaCy's pipelines here never use it. This finder makes
    that one import fail (thinc then runs without torch, as it does when torch is absent); any other importer,
    such as the sentence encoder for positions, gets torch as usual."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torch":
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_globals.get("__name__") == "thinc.compat":
                    raise ImportError("torch is not used by onrecord's spaCy pipeline")
                frame = frame.f_back
        return None


def hide_torch_from_thinc() -> None:
    """Install the finder once, before spaCy is first imported (the CLI imports command modules first)."""
    if "thinc.compat" not in sys.modules and not any(isinstance(f, _HideTorchFromThinc) for f in sys.meta_path):
        sys.meta_path.insert(0, _HideTorchFromThinc())
