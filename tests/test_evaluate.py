"""`onrecord evaluate`: figures on small synthetic cases computed by hand, brat parsing, failures, CLI."""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from onrecord import evaluate as ev
from onrecord.errors import InputError
from onrecord.record import Article, Attribution, Flag, Record, Span, Speaker, Unsourced, Via

SHARED = pathlib.Path("/work/shared/eval")

# --- a small news text of our own, its gold reading and a stub analysis --------------------------

NEWS = ('Mayor Ana Ruiz said the bridge will reopen in May. "We are ready," she told reporters. '
        "The council approved the budget on Monday. According to the transport agency, traffic fell by 12%.\n")

NEWS_GOLD = {
    "schema": "onrecord-gold/1",
    "document": "news.txt",
    "boilerplate": [],
    "attributions": [
        {"speaker": "Ana Ruiz", "speaker_text": "Mayor Ana Ruiz", "speaker_kind": "person", "cue": "said",
         "form": "indirect", "via": [], "content": "the bridge will reopen in May"},
        {"speaker": "Ana Ruiz", "speaker_text": "she", "speaker_kind": "person", "cue": "told",
         "form": "direct", "via": ["reporters"], "content": "We are ready"},
        {"speaker": "transport agency", "speaker_text": "the transport agency", "speaker_kind": "organization",
         "cue": "According to", "form": "indirect", "via": [], "content": "traffic fell by 12%"},
    ],
    "unsourced": ["The council approved the budget on Monday."],
    "flags": [{"code": "unsourced-claim", "statement": "The council approved the budget on Monday"}],
}

# What the stub "finds": each attribution names its spans by a unique phrase of the text.
NEWS_PRED = {
    "attributions": [
        # speaker right, no cue, content cut short (word match yes, exact no), form wrong
        {"speaker": ("Ana Ruiz", "Mayor Ana Ruiz"), "cue": None, "content": "the bridge will reopen", "form": "mixed"},
        # pronoun left unresolved (speaker wrong), content with its quote marks and comma, no via
        {"speaker": ("", "she"), "cue": "told", "content": '"We are ready,', "form": "direct"},
        # not an attribution in the gold
        {"speaker": ("council", "council"), "cue": "approved", "content": "the budget on Monday", "form": "direct"},
    ],
    "unsourced": ["traffic fell by 12%."],
}


def span(text: str, needle: str) -> tuple[int, int]:
    assert text.count(needle) == 1, needle
    start = text.index(needle)
    return start, start + len(needle)


def build(text: str, spec: dict[str, Any]) -> Record:
    """A hand-made record whose spans are found in `text` by unique phrases."""
    attributions = []
    for i, a in enumerate(spec.get("attributions", [])):
        name, said = a["speaker"]
        s = span(text, said)
        cue = Span(*span(text, a["cue"]), a["cue"]) if a["cue"] else None
        c = span(text, a["content"])
        attributions.append(Attribution(
            id=f"a{i + 1}", speaker=Speaker(*s, said, name=name), cue=cue, content=Span(*c, a["content"]),
            form=a["form"], via=[Via(0, 0, "", name=v) for v in a.get("via", [])]))
    unsourced = [Unsourced(*span(text, u), u, id=f"u{i}") for i, u in enumerate(spec.get("unsourced", []))]
    flags = [Flag(*span(text, f), f, code=code) for code, f in spec.get("flags", [])]
    return Record(article=Article(id="t"), text=text, attributions=attributions, unsourced=unsourced, flags=flags)


@dataclass
class Stub:
    """analyze(): the prediction whose key phrase occurs in the text; refuses any other text."""

    specs: dict[str, dict[str, Any]]
    seen: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, text: str, **metadata: Any) -> Record:
        self.seen.append(metadata)
        for key, spec in self.specs.items():
            if key in text:
                return build(text, spec)
        raise InputError("the text is not English")


def plain_read(path: pathlib.Path) -> SimpleNamespace:
    return SimpleNamespace(text=pathlib.Path(path).read_text(encoding="utf-8"), title=None, url=None)


def normalising_read(path: pathlib.Path) -> SimpleNamespace:
    """Like onrecord.read: drops surrounding blank lines and trailing spaces, so offsets shift."""
    lines = pathlib.Path(path).read_text(encoding="utf-8").split("\n")
    return SimpleNamespace(text="\n".join(line.rstrip(" ") for line in lines).strip("\n"))


def failing_read(path: pathlib.Path) -> SimpleNamespace:
    if "broken" in str(path):
        raise InputError(f"{pathlib.Path(path).name} is binary, not text")
    return plain_read(path)


NEWS_STUB = Stub({"Mayor Ana Ruiz": NEWS_PRED})


@pytest.fixture
def news(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "news.txt").write_text(NEWS, encoding="utf-8")
    gold = tmp_path / "news.json"
    gold.write_text(json.dumps(NEWS_GOLD), encoding="utf-8")
    return gold


# --- word matching ---------------------------------------------------------------------------------


def test_words_ignore_quotes_case_and_punctuation() -> None:
    assert ev.words("\u201cIt\u2019s 12% up,\u201d she said.") == ["it's", "12%", "up", "she", "said"]
    assert ev.overlap("the bridge will reopen in May", "the bridge will reopen") == pytest.approx(0.8)
    assert ev.overlap("", "anything") == 0.0


def test_greedy_matching_is_one_to_one_best_first() -> None:
    gold = ["prices will rise", "prices will rise sharply"]
    pred = ["prices will rise sharply"]
    assert ev.match_words(gold, pred) == [(1, 0)]  # the exact one wins, the other gold stays unmatched
    assert ev.match_words(["a b c d"], ["a x y z"]) == []  # F1 0.25 < 0.5


# --- figures on the synthetic news text -----------------------------------------------------------


def test_word_match_figures(news: pathlib.Path) -> None:
    result = ev.evaluate_documents(ev.load_golds([news]), NEWS_STUB, plain_read)
    f = result.figures
    # 3 gold, 3 predicted, 2 matched (the council one is spurious, the agency one missed)
    assert (f["attr_p"], f["attr_r"], f["attr_f1"]) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert f["speaker"] == 0.5  # "she" left unresolved
    assert f["form"] == 0.5  # first one said mixed
    assert f["exact"] == 0.5  # first one cut short; quote marks and comma do not matter
    assert f["via"] == 0.0  # "reporters" not given
    assert f["flags"] == 0.0
    assert (f["unsourced_p"], f["unsourced_r"], f["unsourced_f1"]) == (0.0, 0.0, 0.0)
    assert f["boilerplate_f1"] == 0.0
    assert f["failed_docs"] == 0
    assert (f["docs"], f["gold_attributions"], f["pred_attributions"]) == (1, 3, 3)


def test_exact_span_figures(news: pathlib.Path) -> None:
    f = ev.evaluate_documents(ev.load_golds([news]), NEWS_STUB, plain_read).figures
    # source: gold {Mayor Ana Ruiz, she, the transport agency}, pred {Mayor Ana Ruiz, she, council}
    assert (f["source_span_p"], f["source_span_r"]) == pytest.approx((2 / 3, 2 / 3))
    # cue: gold {said, told, According to}, pred {told, approved}
    assert (f["cue_span_p"], f["cue_span_r"], f["cue_span_f1"]) == pytest.approx((1 / 2, 1 / 3, 0.4))
    # content: only "We are ready" (quote mark and comma stripped at the edges) equals its gold span
    assert (f["content_span_p"], f["content_span_r"]) == pytest.approx((1 / 3, 1 / 3))
    assert f["unlocated_spans"] == 0


def test_quote_overlap_figures(news: pathlib.Path) -> None:
    f = ev.evaluate_documents(ev.load_golds([news]), NEWS_STUB, plain_read).figures
    # "the bridge will reopen" covers 22 of 29 characters (0.76): a match at 30% only;
    # "We are ready" is 12 of the 12 characters left after trimming the prediction: a match at both.
    assert (f["quote30_p"], f["quote30_r"]) == pytest.approx((2 / 3, 2 / 3))
    assert (f["quote80_p"], f["quote80_r"]) == pytest.approx((1 / 3, 1 / 3))
    # direct only: gold {We are ready}, predicted direct {We are ready, the budget on Monday}
    assert (f["direct30_p"], f["direct30_r"], f["direct30_f1"]) == pytest.approx((1 / 2, 1.0, 2 / 3))
    assert f["direct80_f1"] == pytest.approx(2 / 3)


def test_char_overlap_is_over_the_longer_span() -> None:
    assert ev.char_overlap((0, 10), (5, 30)) == pytest.approx(5 / 25)
    assert ev.char_overlap((0, 10), (5, 10)) == pytest.approx(0.5)
    assert ev.char_overlap((0, 10), (10, 20)) == 0.0


def test_trim_strips_quotes_punctuation_and_space_at_the_edges_only() -> None:
    text = ' \u201cWe are, ready.\u201d '
    start, end = ev.trim(text, 0, len(text))
    assert text[start:end] == "We are, ready"
    assert ev.trim(" : ", 0, 3) == (1, 2)  # a punctuation cue keeps its punctuation
    assert ev.trim("  ", 0, 2) is None


def test_pronoun_is_located_as_a_word_near_its_content() -> None:
    text = "The other said yes. Then she left; later she said the plan works."
    hits = ev.find_all(text, "she")
    assert [text[s:e] for s, e in hits] == ["she", "she"]  # not the "she" hidden in no word here, nor "the"
    gold = ev.GoldDoc(name="x", source=pathlib.Path("x"), document=pathlib.Path("x"), kind="onrecord-gold",
                      attributions=[ev.GoldAttribution(speaker="A", speaker_text="she", content="the plan works",
                                                       cue="said", form="indirect")])
    where = ev.locate(gold, text)[0]
    assert where.spans["source"] == hits[1]  # the nearer "she"
    assert text[slice(*where.spans["cue"])] == "said" and where.spans["cue"][0] > hits[1][0]


def test_cue_is_located_next_to_its_speaker_not_across_a_paragraph() -> None:
    text = 'Yes, Ann said.\n\n"We will win," he said.'
    gold = ev.GoldDoc(name="x", source=pathlib.Path("x"), document=pathlib.Path("x"), kind="onrecord-gold",
                      attributions=[ev.GoldAttribution(speaker="Bo", speaker_text="he", content="We will win",
                                                       cue="said", form="direct")])
    where = ev.locate(gold, text)[0]
    assert where.spans["cue"] == (text.rindex("said"), len(text) - 1)
    assert text[slice(*where.spans["content"])] == "We will win"


def test_gold_string_with_other_quote_style_is_still_located() -> None:
    text = "He said \u201cno deal\u201d was near."
    assert ev.find_all(text, '"no deal" was near') == [(8, 26)]
    assert ev.find_all(text, "missing words") == []


def test_errors_describe_every_miss(news: pathlib.Path) -> None:
    errors = ev.evaluate_documents(ev.load_golds([news]), NEWS_STUB, plain_read).errors
    kinds = {}
    for row in errors:
        assert row["doc"] == "news" and row["gold_file"] == str(news)
        kinds.setdefault(row["kind"], []).append(row)
    assert set(kinds) == {"speaker", "form", "boundary", "via", "missed", "spurious", "span",
                          "unsourced-missed", "unsourced-spurious", "flag-missed"}
    (speaker,) = kinds["speaker"]
    assert speaker["gold"]["speaker"] == "Ana Ruiz" and speaker["pred"]["speaker_text"] == "she"
    (form,) = kinds["form"]
    assert (form["gold_form"], form["pred_form"]) == ("indirect", "mixed")
    (boundary,) = kinds["boundary"]
    assert boundary["missing_words"] == ["in", "may"] and boundary["extra_words"] == []
    (missed,) = kinds["missed"]
    assert missed["gold"]["content"] == "traffic fell by 12%"
    assert missed["context"]["left"].endswith("According to the transport agency, ")
    (spurious,) = kinds["spurious"]
    assert spurious["pred"]["content"] == "the budget on Monday"
    assert spurious["nearest_gold"]["overlap"] == 0.2  # only "the" in common: far from any gold
    spans = {(r["role"], r["gold"], r["pred"]) for r in kinds["span"]}
    assert spans == {("cue", "said", None), ("content", "the bridge will reopen in May", "the bridge will reopen")}
    assert kinds["via"][0]["gold_via"] == "reporters"


# --- brat standoff -----------------------------------------------------------------------------------

BRAT_TEXT = ('\n\nOfficials said the plan, which is costly, would pass.  \n'
             '"It is done," the minister announced, "and we move on." Rain is expected across the region tonight.\n')


def ann_line(tid: str, label: str, text: str, *needles: str) -> str:
    pieces = [span(text, n) for n in needles]
    offsets = ";".join(f"{s} {e}" for s, e in pieces)
    return f"{tid}\t{label} {offsets}\t{' '.join(text[s:e] for s, e in pieces)}"


def write_brat(root: pathlib.Path) -> pathlib.Path:
    t = BRAT_TEXT
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    (root / "text" / "art1.txt").write_text(t, encoding="utf-8")
    first = [
        ann_line("T1", "Source", t, "Officials"), ann_line("T2", "Cue", t, "said"),
        ann_line("T3", "Content", t, "the plan, which is costly, would pass"),
        ann_line("T4", "Attribution", t, "said"),
        "E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3",
        ann_line("T5", "Source", t, "the minister"), ann_line("T6", "Cue", t, "announced"),
        ann_line("T7", "Content", t, '"It is done,"', '"and we move on."'),  # discontinuous
        ann_line("T8", "Attribution", t, "announced"),
        ann_line("T9", "Content", t, "Rain"),
        "E2\tAttribution:T8 Cue:T6 Content:T7 Source:T5 Content2:T9",  # Content2 is ignored, as polnear.py does
        ann_line("T10", "Attribution-no-source", t, "expected"),
        "E3\tAttribution-no-source:T10",  # no content: dropped
        ann_line("T11", "Discard", t, "tonight"),
        "",
    ]
    (root / "attributions" / "art1_a1.ann").write_text("\n".join(first), encoding="utf-8")
    # A second annotator whose id sorts later: must not be used.
    other = [ann_line("T1", "Content", t, "Rain is expected"), ann_line("T2", "Cue", t, "expected"),
             "E1\tAttribution:T2 Cue:T2 Content:T1", ""]
    (root / "attributions" / "art1_b2.ann").write_text("\n".join(other), encoding="utf-8")
    # An annotation without its text is skipped.
    (root / "attributions" / "lost_a1.ann").write_text("", encoding="utf-8")
    return root


BRAT_PRED = {"attributions": [
    {"speaker": ("", "Officials"), "cue": "said", "content": "the plan, which is costly, would pass.",
     "form": "indirect"},
    {"speaker": ("", "the minister"), "cue": "announced", "form": "direct",
     "content": 'It is done," the minister announced, "and we move on'},
]}


def test_brat_parsing_discontinuous_spans_and_annotator_choice(tmp_path: pathlib.Path) -> None:
    (doc,) = ev.load_golds([write_brat(tmp_path / "split")])
    assert doc.name == "art1" and doc.source.name == "art1_a1.ann" and doc.kind == "brat"
    a, b = doc.attributions
    assert (a.speaker, a.cue, a.content, a.form) == ("Officials", "said", "the plan, which is costly, would pass",
                                                     "indirect")
    assert b.content == '"It is done," "and we move on."' and b.form == "direct"
    assert [BRAT_TEXT[s:e] for s, e in b.pieces["content"]] == ['"It is done,"', '"and we move on."']
    assert b.speaker_kind == "unknown" and b.via == []
    # "unsourced" proxy: the one sentence no span touches (Content2 and the dropped relation do not count)
    assert doc.unsourced == ["Rain is expected across the region tonight."]


def test_form_of_follows_quote_marks() -> None:
    assert ev.form_of('"All of it."') == "direct"
    assert ev.form_of("it was \u201cgood\u201d news") == "mixed"
    assert ev.form_of("it was good news") == "indirect"


def test_brat_figures_with_offsets_shifted_by_reading(tmp_path: pathlib.Path) -> None:
    stub = Stub({"Officials said": BRAT_PRED})
    f = ev.evaluate_documents(ev.load_golds([write_brat(tmp_path / "split")]), stub, normalising_read).figures
    assert f["attr_f1"] == 1.0 and f["speaker"] == 1.0 and f["form"] == 1.0
    assert f["exact"] == 0.5  # the second prediction runs on through "the minister announced"
    # The covering span of the discontinuous content, trimmed, equals the prediction's; offsets are mapped
    # across the blank lines and trailing spaces the reader removed.
    for role in ev.ROLES:
        assert f[f"{role}_span_f1"] == 1.0, role
    assert f["quote30_f1"] == 1.0 and f["quote80_f1"] == 1.0
    assert (f["direct30_f1"], f["direct80_f1"]) == (1.0, 1.0)
    assert f["unsourced_r"] == 0.0 and f["unlocated_spans"] == 0


def test_offset_map_follows_deletions() -> None:
    src, dst = "\n\nab  \ncd ef", "ab\ncd ef"
    m = ev.OffsetMap(src, dst)
    assert m.span(2, 4) == (0, 2)
    assert dst[slice(*m.span(8, 12))] == "d ef"
    assert m.span(4, 6) is None  # only deleted characters
    assert ev.OffsetMap("same", "same").span(1, 3) == (1, 3)


# --- failures, parallel runs and the command line ---------------------------------------------------


def test_failed_document_scores_zero_and_is_listed(news: pathlib.Path, tmp_path: pathlib.Path) -> None:
    (tmp_path / "broken.txt").write_bytes(b"\x00\x01")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**NEWS_GOLD, "document": "broken.txt"}), encoding="utf-8")
    result = ev.evaluate_documents(ev.load_golds([broken, news]), NEWS_STUB, failing_read)
    f = result.figures
    assert f["failed_docs"] == 1 and result.failed == [{"doc": "broken", "error": "broken.txt is binary, not text"}]
    # the failed document's 3 gold attributions all count as missed, everywhere
    assert (f["attr_p"], f["attr_r"]) == pytest.approx((2 / 3, 2 / 6))
    assert f["content_span_r"] == pytest.approx(1 / 6) and f["quote30_r"] == pytest.approx(2 / 6)
    assert f["unlocated_spans"] == 0
    assert result.documents[0]["failed"] and result.documents[0]["figures"]["attr_f1"] == 0.0
    assert result.errors[0]["kind"] == "failed" and result.errors[0]["doc"] == "broken"
    # the analysis refusing a text is a failure too
    other = ev.evaluate_documents(ev.load_golds([news]), Stub({"nothing like it": NEWS_PRED}), plain_read)
    assert other.failed == [{"doc": "news", "error": "the text is not English"}]


def test_parallel_run_gives_the_same_figures(news: pathlib.Path, tmp_path: pathlib.Path) -> None:
    golds = ev.load_golds([news, write_brat(tmp_path / "split")])
    stub = Stub({"Mayor Ana Ruiz": NEWS_PRED, "Officials said": BRAT_PRED})
    serial = ev.evaluate_documents(golds, stub, normalising_read)
    parallel = ev.evaluate_documents(golds, stub, normalising_read, jobs=2)
    assert serial.figures == parallel.figures and serial.errors == parallel.errors


def test_bad_gold_is_refused_with_a_message(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json"):
        ev.load_golds([bad])
    with pytest.raises(InputError, match="not found"):
        ev.load_golds([tmp_path / "nowhere"])


def cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="onrecord")
    ev.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    assert args.func is ev.run
    return args


def test_cli_table_json_min_and_errors(news: pathlib.Path, tmp_path: pathlib.Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert ev.run(cli(["evaluate", str(news), "--per-doc"]), NEWS_STUB, plain_read) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  attr_f1                0.667" in out
    assert out[-1].startswith("attr_f1=0.67 speaker=0.50 form=0.50 exact=0.50") and "failed_docs=0" in out[-1]
    assert any(line.startswith("news ") for line in out)

    assert ev.run(cli(["evaluate", str(news), "--min", "attr_f1=0.9", "--min", "speaker=0.5"]),
                  NEWS_STUB, plain_read) == 1
    assert capsys.readouterr().out.splitlines()[-1].endswith("BELOW attr_f1<0.9")

    errors = tmp_path / "misses.jsonl"
    code = ev.run(cli(["evaluate", str(tmp_path), "--format", "json", "--per-doc", "--errors", str(errors),
                       "--min", "attr_f1=0.5"]), NEWS_STUB, plain_read)
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["figures"]["attr_f1"] == pytest.approx(2 / 3) and data["documents"][0]["doc"] == "news"
    rows = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(ev.evaluate_documents(ev.load_golds([news]), NEWS_STUB, plain_read).errors)

    assert ev.run(cli(["evaluate", str(news), "--min", "nonsense=1"]), NEWS_STUB, plain_read) == 2
    assert "nonsense" in capsys.readouterr().err
    assert ev.run(cli(["evaluate", str(tmp_path / "nowhere.json")]), NEWS_STUB, plain_read) == 2


def test_cli_limit_and_failures_fail_a_run_with_minimums(news: pathlib.Path, tmp_path: pathlib.Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "zz-broken.txt").write_bytes(b"\x00")
    (tmp_path / "zz-broken.json").write_text(json.dumps({**NEWS_GOLD, "document": "zz-broken.txt"}),
                                             encoding="utf-8")
    assert ev.run(cli(["evaluate", str(tmp_path), "--min", "attr_f1=0"]), NEWS_STUB, failing_read) == 1
    assert "failed: zz-broken: zz-broken.txt is binary" in capsys.readouterr().err
    assert ev.run(cli(["evaluate", str(tmp_path), "--limit", "1", "--min", "attr_f1=0"]),
                  NEWS_STUB, failing_read) == 0


# --- agreement with the team's scripts (only where ../shared exists) ---------------------------------


def score_py_figures(golds: list[pathlib.Path], pred_dir: pathlib.Path) -> dict[str, float]:
    run = subprocess.run([sys.executable, str(SHARED / "score.py"), *map(str, golds), "--pred-dir", str(pred_dir)],
                         capture_output=True, text=True, check=True)
    out = {}
    for line in run.stdout.splitlines()[1:-1]:
        name, value = line.split()
        out[name] = float(value)
    return out


@pytest.mark.skipif(not (SHARED / "score.py").exists(), reason="the team's score.py is not here")
def test_figures_equal_score_py(news: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # A second document where ties decide the pairing: two gold attributions with the same words.
    tie_text = "Prices will rise, the bank said. Prices will rise, the union said too, and wages will not.\n"
    (tmp_path / "tie.txt").write_text(tie_text, encoding="utf-8")
    tie_gold = {"schema": "onrecord-gold/1", "document": "tie.txt", "boilerplate": ["wages will not"],
                "attributions": [
                    {"speaker": "bank", "speaker_text": "the bank", "speaker_kind": "organization", "cue": "said",
                     "form": "indirect", "via": [], "content": "Prices will rise"},
                    {"speaker": "union", "speaker_text": "the union", "speaker_kind": "organization", "cue": "said",
                     "form": "direct", "via": [], "content": "Prices will rise"}],
                "unsourced": ["and wages will not"],
                "flags": [{"code": "conflict", "statement": "and wages will not"}]}
    tie = tmp_path / "tie.json"
    tie.write_text(json.dumps(tie_gold), encoding="utf-8")
    tie_pred = {"attributions": [
        {"speaker": ("bank", "the bank"), "cue": "said too", "content": "Prices will rise, the bank",
         "form": "direct"}],
        "unsourced": ["and wages will not"], "flags": [("conflict", "wages will not.")]}
    stub = Stub({"Mayor Ana Ruiz": NEWS_PRED, "Prices will rise": tie_pred})
    golds = [news, tie, write_brat(tmp_path / "split")]
    stub.specs["Officials said"] = BRAT_PRED

    # score.py reads brat gold only after polnear.py has converted it
    converted = tmp_path / "converted"
    subprocess.run([sys.executable, str(SHARED / "polnear.py"), str(tmp_path / "split"), str(converted)],
                   capture_output=True, check=True)
    preds = tmp_path / "preds"
    preds.mkdir()
    for name, text in (("news", NEWS), ("tie", tie_text), ("art1", BRAT_TEXT)):
        (preds / f"{name}.json").write_text(stub(text).to_json(), encoding="utf-8")
    theirs = score_py_figures([news, tie, converted / "art1.json"], preds)
    ours = ev.evaluate_documents(ev.load_golds(golds), stub, plain_read).figures
    assert set(theirs) == set(ev.SCORE_PY)
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, abs=5e-4), name


@pytest.mark.skipif(not (SHARED / "polnear.py").exists(), reason="the team's polnear.py is not here")
def test_brat_reading_equals_polnear_py(tmp_path: pathlib.Path) -> None:
    split = write_brat(tmp_path / "split")
    out = tmp_path / "converted"
    subprocess.run([sys.executable, str(SHARED / "polnear.py"), str(split), str(out)], capture_output=True,
                   check=True)
    theirs = json.loads((out / "art1.json").read_text(encoding="utf-8"))
    (ours,) = ev.load_golds([split])
    assert ours.unsourced == theirs["unsourced"]
    assert [(a.speaker, a.speaker_text, a.speaker_kind, a.cue, a.form, a.via, a.content)
            for a in ours.attributions] == [
        (a["speaker"], a["speaker_text"], a["speaker_kind"], a["cue"], a["form"], a["via"], a["content"])
        for a in theirs["attributions"]]
    assert (split / "text" / "art1.txt").resolve() == (out / theirs["document"]).resolve()
