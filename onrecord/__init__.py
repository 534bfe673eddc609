"""onrecord: who says this, on whose authority, and does anything else on the record agree?

    >>> import onrecord
    >>> record = onrecord.analyze(text, url="https://…")
    >>> record.attributions[0].speaker.name

The analysis is a spaCy component (``nlp.add_pipe("onrecord")``); see ``onrecord.component``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from onrecord.torchless import hide_torch_from_thinc

hide_torch_from_thinc()  # before anything imports spaCy

from onrecord.errors import InputError, OnrecordError  # noqa: E402
from onrecord.record import Record  # noqa: E402

if TYPE_CHECKING:
    from onrecord.analysis import analyze, analyze_many

__all__ = ["InputError", "OnrecordError", "Record", "analyze", "analyze_many"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # spaCy loads only when analysis is asked for, so `import onrecord` stays light
    if name in ("analyze", "analyze_many"):
        from onrecord import analysis as module

        return getattr(module, name)
    raise AttributeError(name)
