"""Flags a fact-checker can trust: the conflict and check-worthiness parts of ``onrecord evaluate``.

- A planted-contradiction set (a folder whose ``gold.json`` has schema ``onrecord-planted/1``, such as
  ``eval/conflicts``): recall of the planted contradictions — a conflict flag on one of the two sentences whose
  explanation quotes the other —, by kind (status / figure / event); extra conflict flags on planted articles;
  conflict flags on the controls.
- A folder of clean articles (only ``.txt`` files, no gold, e.g. PolNeAR dev's ``text/``): every conflict flag is
  listed, and counted per 100 articles (none is planted, so each needs a reader's verdict).
- CheckThat! 2024 task 1 (a folder with ``*_dev.tsv`` / ``*_dev-test.tsv``): precision, recall and F1 of the
  positive class for the shipped model's own yes/no (``is_checkworthy``), per split, and on the train file's most
  recent debates (held out of training) when it is there.
"""

from __future__ import annotations

import json
import pathlib
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from onrecord.errors import InputError

PLANTED = "onrecord-planted/1"
AnalyzeText = Callable[[str], dict[str, Any]]


def kind_of_folder(path: pathlib.Path) -> str | None:
    """'planted', 'checkthat' or 'clean' for the folders this module scores; None for gold readings."""
    if not path.is_dir():
        return None
    gold = path / "gold.json"
    if gold.is_file():
        try:
            if json.loads(gold.read_text(encoding="utf-8")).get("schema") == PLANTED:
                return "planted"
        except (ValueError, AttributeError):
            return None
    if any(path.glob("*_dev-test.tsv")) or any(path.glob("*_dev.tsv")):
        return "checkthat"
    if any(path.glob("*.txt")) and not any(path.glob("*.json")) and not any(path.glob("*.ann")):
        return "clean"  # plain articles, no gold: e.g. PolNeAR's text/ folder
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _same_sentence(a: str, b: str) -> bool:
    """Word-bag F1 of at least 0.5 (the team's span match)."""
    wa, wb = Counter(_words(a)), Counter(_words(b))
    common = sum((wa & wb).values())
    return bool(common) and 2 * common / (sum(wa.values()) + sum(wb.values())) >= 0.5


def _quotes(explanation: str, sentence: str) -> bool:
    """The explanation quotes the sentence: its first eight words appear in order."""
    head = " ".join(_words(sentence)[:8])
    return head in " ".join(_words(explanation))


def _default_analyze() -> AnalyzeText:
    from onrecord import analyze

    return lambda text: analyze(text).to_dict()


def _conflicts(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in record.get("flags") or [] if f.get("code") == "conflict"]


def score_planted(folder: pathlib.Path, analyze_text: AnalyzeText | None = None) -> dict[str, Any]:
    """Recall on the planted articles, extra flags there, and flags on the controls."""
    analyze_text = analyze_text or _default_analyze()
    gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    extra = control_flags = controls_flagged = 0
    for item in gold["articles"]:
        text = (folder / item["file"]).read_text(encoding="utf-8")
        flags = _conflicts(analyze_text(text))
        kind = item["kind"]
        if kind == "control":
            control_flags += len(flags)
            controls_flagged += bool(flags)
            rows += [{"file": item["file"], "kind": kind, "verdict": "false", "flag": f["text"],
                      "explanation": f["explanation"]} for f in flags]
            continue
        total[kind] += 1
        pair = (item["statement"], item["other"])
        hits = [f for f in flags if any(_same_sentence(f["text"], s) and _quotes(f["explanation"], o)
                                        for s, o in (pair, pair[::-1]))]
        found[kind] += bool(hits)
        extra += len(flags) - min(len(hits), 1)
        rows.append({"file": item["file"], "kind": kind, "verdict": "found" if hits else "missed",
                     "flag": hits[0]["text"] if hits else None,
                     "explanation": hits[0]["explanation"] if hits else None,
                     "other_flags": [f["text"] for f in flags if f not in hits[:1]]})
    n_planted, n_controls = sum(total.values()), sum(1 for i in gold["articles"] if i["kind"] == "control")
    figures: dict[str, Any] = {
        "planted": n_planted, "found": sum(found.values()),
        "recall": round(sum(found.values()) / max(n_planted, 1), 3),
        **{f"recall_{k}": f"{found[k]}/{total[k]}" for k in sorted(total)},
        "extra_flags_on_planted": extra, "controls": n_controls, "controls_flagged": controls_flagged,
        "flags_on_controls": control_flags,
    }
    return {"figures": figures, "articles": rows}


def _clean_files(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(folder.glob("*.txt"))


def score_clean(folder: pathlib.Path, analyze_text: AnalyzeText | None = None) -> dict[str, Any]:
    """Every conflict flag raised on articles with no planted contradiction, for a reader's verdict."""
    analyze_text = analyze_text or _default_analyze()
    files = _clean_files(folder)
    rows = []
    for path in files:
        for f in _conflicts(analyze_text(path.read_text(encoding="utf-8"))):
            rows.append({"file": path.name, "flag": f["text"], "explanation": f["explanation"]})
    figures = {"articles": len(files), "conflict_flags": len(rows),
               "per_100_articles": round(100 * len(rows) / max(len(files), 1), 2)}
    return {"figures": figures, "flags": rows}


def score_checkthat(folder: pathlib.Path) -> dict[str, Any]:
    """Positive-class P / R / F1 of ``is_checkworthy`` on each CheckThat! split present: dev, dev-test and, when the
    train file is there, its most recent debates (held out of training; the rest of train is not scored)."""
    import numpy as np

    from onrecord.assess.checkworthiness import CheckworthinessModel
    from onrecord.train.checkworthiness import prf, read_split, recent_debates, subset

    model = CheckworthinessModel.load()
    figures: dict[str, Any] = {"threshold": round(model.threshold, 4)}
    for name, pattern in (("dev", "*_dev.tsv"), ("dev_test", "*_dev-test.tsv"), ("recent_debates", "*_train.tsv")):
        if not any(folder.glob(pattern)):
            continue
        split = read_split(folder, pattern)
        if name == "recent_debates":
            split = subset(split, recent_debates(split)[1])
        yes = np.array(model.score(split.texts)) >= model.threshold
        figures[name] = {**prf(split.labels, yes), "n": len(split.texts)}
    if len(figures) == 1:
        raise InputError(f"no CheckThat! dev or dev-test file in {folder}")
    return {"figures": figures}


def render(kind: str, result: dict[str, Any]) -> str:
    """A plain-text report: the figures, then every flag (clean), every miss and false flag (planted)."""
    lines = [" ".join(f"{k}={v}" for k, v in result["figures"].items() if not isinstance(v, dict))]
    lines += [f"{k}: " + " ".join(f"{a}={b}" for a, b in v.items())
              for k, v in result["figures"].items() if isinstance(v, dict)]
    if kind == "clean":
        lines += [f"- {r['file']}: {r['flag']!r}\n    {r['explanation']}" for r in result["flags"]]
    if kind == "planted":
        for r in result["articles"]:
            if r["verdict"] != "found" or r.get("other_flags"):
                lines.append(f"- {r['verdict']}: {r['file']} ({r['kind']}): {r['flag']!r} {r.get('other_flags') or ''}")
    return "\n".join(lines)
