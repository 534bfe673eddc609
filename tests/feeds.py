"""Shared by the corpus tests: article dicts written as a JSON Lines feed for ``ingest``."""

from __future__ import annotations

import json
from pathlib import Path


def write_feed(path: Path, articles: list[dict[str, str]]) -> str:
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return str(path)
