"""The reader's training-data augmentations (onrecord.train.coref_reader), on rows written here."""

from __future__ import annotations

import random
import re

import numpy as np

from onrecord.train.coref_reader import padded, swap_names, third_persons

TEXT = ("Anna Berg met Clara Holt in Oslo. Later Berg told Holt that Mark Lund would call, "
        "and she left with Berg's notes.")


def _row(text: str = TEXT, pronoun: str = "she", a: str = "Anna Berg", b: str = "Clara Holt",
         a_coref: str = "TRUE", b_coref: str = "FALSE") -> dict:
    return {"ID": "t-1", "Text": text, "Pronoun": pronoun, "Pronoun-offset": str(text.index(f" {pronoun} ") + 1),
            "A": a, "A-offset": str(text.index(a)), "A-coref": a_coref,
            "B": b, "B-offset": str(text.index(b)), "B-coref": b_coref}


GIVEN = {"m": ["Tomasz", "Olu"], "f": ["Ingeborg", "Xiadani", "Maximiliana"]}
SURNAMES = ["Przybylski", "Ng", "Okonkwo-Smythe", "Ba"]


def test_swap_names_replaces_every_occurrence_and_moves_offsets() -> None:
    row = _row()
    row["others"] = [(TEXT.index("Mark Lund"), TEXT.index("Mark Lund") + len("Mark Lund"))]
    out = swap_names(row, random.Random(3), GIVEN, SURNAMES)
    assert out is not None
    text = out["Text"]
    for word in ("Anna", "Berg", "Clara", "Holt"):
        assert word not in text
    for key in ("Pronoun", "A", "B"):
        start = int(out[f"{key}-offset"])
        assert text[start : start + len(out[key])] == out[key]
    assert out["A"].split()[0] in GIVEN["f"] and out["B"].split()[0] in GIVEN["f"]
    assert out["A"].split()[1] in SURNAMES and out["A"] != out["B"]
    # every later "Berg" (possessive too) is A's new surname; the third person is untouched and still found
    assert text.count(out["A"].split()[1]) == 3
    (s, e), = out["others"]
    assert text[s:e] == "Mark Lund"
    assert out["A-coref"] == "TRUE" and out["B-coref"] == "FALSE" and out["Pronoun"] == "she"


def test_swap_names_lone_words_gender_and_nothing_to_swap() -> None:
    text = "Rank met Tom at the club, where he sang."
    row = _row(text, "he", "Rank", "Tom", "FALSE", "TRUE")
    out = swap_names(row, random.Random(0), GIVEN, SURNAMES, given_known={"tom"})
    assert out is not None
    assert out["A"] in SURNAMES and out["B"] in GIVEN["m"]  # a lone given name by a given name of his gender
    assert out["Text"][int(out["B-offset"]):].startswith(out["B"])
    lower = _row("the dj met an mc, and she sang.", "she", "dj", "mc")
    assert swap_names(lower, random.Random(0), GIVEN, SURNAMES) is None


def test_third_persons_are_negatives_of_resolved_rows_only() -> None:
    text = "Anna Berg met Clara Holt and Mark Lund. Later Berg told Holt that Eva Dahl said she would call."
    row = _row(text, a="Anna Berg", b="Clara Holt")
    spans = {name: (text.index(name), text.index(name) + len(name))
             for name in ("Anna Berg", "Clara Holt", "Mark Lund", "Eva Dahl")}
    later_berg = (text.index("Berg told"), text.index("Berg told") + 4)
    persons = [*spans.values(), later_berg]
    got = third_persons(row, persons, {"mark": "m", "eva": "f"})
    # A, B and a later mention of A are no third person; the one of the pronoun's gender comes first
    assert got == [spans["Eva Dahl"], spans["Mark Lund"]]
    neither = dict(row, **{"A-coref": "FALSE"})
    assert third_persons(neither, persons) == []


def test_padded_batches_rows_of_unequal_width() -> None:
    out = padded([np.array([1.0, 0.0]), np.array([0.0, 1.0, 0.0, 0.0])])
    assert out.shape == (2, 4) and out[0].tolist() == [1.0, 0.0, 0.0, 0.0]


def test_ontogum_rows_from_a_written_conll(tmp_path) -> None:
    from onrecord.train.coref_reader import ontogum_rows

    lines = ["# begin document x"]
    # Anna(1) met Bo Lund(2) . Anna(1) said she(1) knew Eva(no chain) .
    marks = ["(1)", "_", "(2", "2)", "_", "(1)", "_", "(1)", "_", "_", "_"]
    words = ["Anna", "met", "Bo", "Lund", ".", "Anna", "said", "she", "knew", "Eva", "."]
    lines += [f"{i}\t{w}\t{m}" for i, (w, m) in enumerate(zip(words, marks, strict=True))]
    (tmp_path / "doc1.conll").write_text("\n".join(lines) + "\n# end document\n", encoding="utf-8")
    (tmp_path / "splits.md").write_text("## train\n* doc1\n", encoding="utf-8")

    def tagger(texts):
        return [[(m.start(), m.end()) for m in re.finditer(r"Anna|Bo Lund|Eva", t)] for t in texts]

    (row,) = ontogum_rows(tmp_path, tagger)
    text = row["Text"]
    assert row["Pronoun"] == "she" and text[int(row["Pronoun-offset"]):].startswith("she")
    # the nearer "Anna" is the coreferent A; Eva (no chain) and Bo Lund (another chain) are negatives
    assert row["A"] == "Anna" and int(row["A-offset"]) == text.index("Anna said")
    assert row["A-coref"] == "TRUE" and row["B-coref"] == "FALSE"
    got = {row["B"], *(text[s:e] for s, e in row["others"])}
    assert got == {"Eva", "Bo Lund"}
