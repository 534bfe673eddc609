"""The PolNeAR convention: candidates, the two-stage judge, its training command (texts written for
these tests; the PolNeAR data is never needed)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from test_attribution import offsets_exact

from onrecord import analyze
from onrecord.attribute.extract import Found
from onrecord.attribute.learned import (
    MODEL,
    N_DECISION,
    N_ROLE_CUE,
    N_ROLE_SPAN,
    NO_RIVAL,
    ROLES,
    AttributionModel,
    Decision,
    choose,
    decision_features,
    pick_content,
)
from onrecord.attribute.quotes import find_quotes
from onrecord.attribute.roles import CHANNELS, FLAGS, WEIGHTS, RoleReader, inputs, piece_embeddings
from onrecord.errors import OnrecordError
from onrecord.parse import load_pipeline

ARTICLE = (
    "Union leaders called for a national strike on Monday after the talks collapsed.\n\n"
    "“We have been patient for two years,” said Marta Kovacs, the union's general secretary. "
    "“Our members will not wait any longer.”\n\n"
    "The ministry rejected the demand and plans to publish its own offer next week.\n\n"
    "Kovacs said the offer would be read carefully."
)


def test_shipped_judge_is_small_and_loads() -> None:
    model = AttributionModel.load()
    assert model is not None, "onrecord/data/attributions.npz is missing"
    assert MODEL.stat().st_size < 5_000_000
    assert 0.0 < model.threshold < 1.0
    card = json.loads(MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["cross_validated"]["f1"] > 0.6  # the judge was measured on articles it was not fitted on


def test_shipped_role_reader_is_small_and_reads_a_speech_verb_as_a_cue() -> None:
    assert WEIGHTS.stat().st_size < 50_000_000
    reader = RoleReader.load()
    assert reader is not None, "onrecord/data/roles.npz is missing"
    doc = load_pipeline()("The minister said on Tuesday that the bridge would reopen in May.")
    readings = reader.tokens(doc, find_quotes(doc.text))
    said = next(t.i for t in doc if t.text == "said")
    bridge = next(t.i for t in doc if t.text == "bridge")
    cue, content = CHANNELS.index("cue"), CHANNELS.index("content")
    assert readings[said, cue] > 0.5 > readings[bridge, cue]
    assert readings[bridge, content] > 0.5 > readings[said, content]


def test_the_numpy_reader_reads_as_the_torch_tagger_it_was_fitted_as() -> None:
    torch = pytest.importorskip("torch")
    from onrecord.train.roles import tagger, to_reader

    torch.manual_seed(0)
    model = tagger().eval()
    with torch.no_grad():  # away from the default initialisation, so that every layer matters
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.2)
            p.copy_(p.half().float())  # as shipped: the numpy reader's weights are float16
    doc = load_pipeline()("“We will not sign,” the minister said.\n\nTalks resume on Monday, officials said.")
    x = inputs(doc, find_quotes(doc.text))
    with torch.no_grad():
        dense = (x.vectors, x.pieces(piece_embeddings()), x.ids, x.flags)
        expected = torch.sigmoid(model(*(torch.from_numpy(a)[None] for a in dense)))[0].numpy()
    ours = to_reader(model).read(x)
    assert ours.shape == (len(doc), len(CHANNELS))
    assert np.allclose(ours, expected, atol=1e-4)
    assert expected.std() > 0.05  # the comparison is not between two constants


def test_reader_inputs_mark_quotations_paragraphs_and_sentences() -> None:
    doc = load_pipeline()("Ana said: “It rained.” Then it stopped.\n\nBen left.")
    x = inputs(doc, find_quotes(doc.text))
    flag = {name: x.flags[:, k] for k, name in enumerate(FLAGS)}
    quoted = [t.text for t in doc if flag["in_quotation"][t.i]]
    assert quoted[0] == "“" and "rained" in quoted and quoted[-1] == "”" and "Then" not in quoted
    assert [t.text for t in doc if flag["paragraph_start"][t.i]] == ["Ana", "Ben"]
    assert flag["sentence_start"][next(t.i for t in doc if t.text == "Ben")] == 1
    assert x.vectors.shape == (len(doc), 96) and np.abs(x.vectors).sum() > 0  # the parser's own vectors
    assert len({int(i) for i in x.ids[:, 0]}) == len({t.lower_ for t in doc})  # one bucket per word here
    space = next(t.i for t in doc if t.is_space)
    pieces = x.pieces(piece_embeddings())
    assert not pieces[space].any() and all(pieces[t.i].any() for t in doc if not t.is_space)


def test_a_token_of_several_word_pieces_reads_their_mean_embedding() -> None:
    from onrecord.attribute.roles import piece_tokenizer, word_pieces

    table = piece_embeddings()
    text = "Zelenskyy, he said."
    pieces = piece_tokenizer().encode(text, add_special_tokens=False)
    inside = [i for i, (s, e) in zip(pieces.ids, pieces.offsets, strict=True) if e <= len("Zelenskyy")]
    assert len(inside) > 1  # the test needs a word the encoder splits
    doc = load_pipeline()(text)
    assert [t.idx for t in doc] == [0, 9, 11, 14, 18]
    x = inputs(doc, find_quotes(text))
    got = x.pieces(table)
    assert np.allclose(got[0], table[inside].mean(axis=0), atol=1e-5)
    assert np.allclose(got[2], table[pieces.ids[len(inside) + 1]], atol=1e-5)  # "he": after the comma's piece
    assert np.allclose(x.pieces(table, 2, 4), got[2:4])  # a window reads as the whole does
    ids, spans = word_pieces(text, np.array([0, 9]), np.array([9, 10]))
    assert list(ids[spans[0, 0]:spans[0, 1]]) == inside


def test_a_missing_role_reader_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    assert RoleReader.load.__wrapped__(RoleReader, tmp_path / "none.npz") is None
    (tmp_path / "bad.npz").write_bytes(b"not weights")
    with pytest.raises(OnrecordError, match=r"bad\.npz"):
        RoleReader.from_weights(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", schema=np.array("something-else/1"), word=np.zeros(3))
    with pytest.raises(OnrecordError, match="something-else"):
        RoleReader.from_weights(tmp_path / "other.npz")


def test_polnear_convention_adds_stances_and_joins_quotes() -> None:
    default = analyze(ARTICLE)
    polnear = analyze(ARTICLE, convention="polnear")
    offsets_exact(polnear)
    cues = {a.cue.text for a in polnear.attributions if a.cue}
    assert not any("called" in c for c in {a.cue.text for a in default.attributions if a.cue})
    assert any(c.startswith("called") for c in cues), cues
    # the quotation interrupted by its reporting clause is one statement under PolNeAR's convention
    joined = [a for a in polnear.attributions if "patient" in a.content.text]
    assert len(joined) == 1 and "wait any longer" in joined[0].content.text
    assert joined[0].speaker.name == "Marta Kovacs"
    # and two under onrecord's own guideline
    assert sum("patient" in a.content.text or "wait any longer" in a.content.text
               for a in default.attributions) == 2
    said = [a for a in polnear.attributions if "read carefully" in a.content.text]
    assert said and said[0].form == "indirect"


def test_polnear_source_is_the_whole_noun_phrase() -> None:
    text = "Marta Kovacs, who leads the union, said the offer was an insult."
    (a,) = [a for a in analyze(text, convention="polnear").attributions if "insult" in a.content.text]
    assert a.speaker.text == "Marta Kovacs, who leads the union"
    assert a.speaker.name == "Marta Kovacs"
    (b,) = [a for a in analyze(text).attributions if "insult" in a.content.text]
    assert b.speaker.text == "Marta Kovacs"


def test_unknown_convention_is_a_clear_error() -> None:
    with pytest.raises(OnrecordError, match="unknown convention"):
        load_pipeline(convention="tabloid")


def test_choose_keeps_the_likelier_of_two_readings_of_one_content() -> None:
    a = Found((0, 10), "indirect", cue_token=1)
    b = Found((0, 12), "indirect", cue_token=5)  # mostly the same words as a
    c = Found((20, 30), "direct", cue_token=9)
    d = Found((40, 50), "direct", cue_token=12)  # below the threshold
    e = Found((20, 60), "indirect", cue_token=14)  # an outer statement containing c is its own
    assert choose([(a, 0.6), (b, 0.9), (c, 0.7), (d, 0.2), (e, 0.8)], 0.5) == [b, e, c]


def test_decision_features_see_the_other_cues_of_the_sentence_and_rivals_for_one_content() -> None:
    readings = np.zeros(N_ROLE_CUE + N_ROLE_SPAN, dtype=np.float32)
    said = Decision(2.0, 1, 0, (10, 40), pick_content(np.zeros(1))[1:], readings)
    rival = Decision(-1.0, 3, 0, (12, 40), (1.5, 0.5), readings)  # another verb reading most of the same stretch
    alone = Decision(0.5, 2, 50, (60, 80), (0.0, 2.0), readings)  # another sentence
    x = decision_features([said, rival, alone])
    assert x.shape == (3, 8 + N_ROLE_CUE + N_ROLE_SPAN)
    assert x[0, :8].tolist() == [2.0, 1.0, 1.0, -1.0, -1.0, 3.0, 0.0, -NO_RIVAL]
    assert x[1, :8].tolist() == [-1.0, 3.0, 1.0, 2.0, 2.0, -3.0, 1.5, 0.5]
    assert x[2, :8].tolist() == [0.5, 2.0, 0.0, NO_RIVAL, NO_RIVAL, 0.5 - NO_RIVAL, 0.0, 2.0]
    assert decision_features([]).shape == (0, 8 + N_ROLE_CUE + N_ROLE_SPAN)
    assert pick_content(np.array([0.5, 2.0, -1.0])) == (1, 2.0, 1.5)


def test_trees_in_numpy_give_what_they_learned() -> None:
    from onrecord.train.attributions import fit_trees

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 4)).astype(np.float32)
    y = ((x[:, 0] > 0.3) & (x[:, 2] < 0.5)).astype(np.int64)  # an interaction no single line draws
    trees = fit_trees(x, y)  # checks its numpy probabilities against scikit-learn's itself
    test = rng.normal(size=(500, 4)).astype(np.float32)
    truth = (test[:, 0] > 0.3) & (test[:, 2] < 0.5)
    assert ((trees.score(test) > 0.5) == truth).mean() > 0.95
    assert trees.score(np.zeros((0, 4))).shape == (0,)
    constant = fit_trees(x, np.ones(2000, dtype=np.int64))
    assert (constant.score(test) > 0.99).all()


def test_doubled_apostrophes_are_double_quote_marks() -> None:
    text = "''It is over,'' she said. ''We lost.'' He said it's the voters' call."
    spans = [text[q.start : q.end] for q in find_quotes(text)]
    assert spans == ["It is over,", "We lost."]
    q = find_quotes(text)[0]
    assert text[q.open_mark : q.close_mark + 1] == "''It is over,''"


def _brat_corpus(folder: pathlib.Path, n: int) -> pathlib.Path:
    """A small corpus annotated in PolNeAR's brat format: speech, a stance and a distractor."""
    people = ["Ana Ruiz", "Tom Berg", "Lena Voss", "Omar Haddad", "Keiko Sato", "Piet de Vries"]
    topics = ["the budget", "the new bridge", "school meals", "the tram line", "rent caps", "the harbour plan"]
    (folder / "text").mkdir(parents=True)
    (folder / "attributions").mkdir()
    for i in range(n):
        who, topic = people[i % len(people)], topics[(i * 5) % len(topics)]
        sentences = [
            (f"{who} said {topic} would pass in the spring.", "said", f"{topic} would pass in the spring"),
            (f"The council called for a review of {topic}.", "called for", f"a review of {topic}"),
            (f"Workers painted the town hall on {['Monday', 'Friday'][i % 2]}.", None, None),
        ]
        text, ann = "", []
        for sentence, cue, content in sentences:
            if cue is not None and content is not None:
                source = who if cue == "said" else "The council"
                ids = {}
                for label, words in (("Source", source), ("Cue", cue), ("Content", content)):
                    start = len(text) + sentence.index(words)
                    ids[label] = f"T{len(ann) + 1}"
                    ann.append(f"{ids[label]}\t{label} {start} {start + len(words)}\t{words}")
                roles = " ".join(f"{label}:{tid}" for label, tid in ids.items())
                ann.append(f"E{len(ann) + 1}\tAttribution:{ids['Cue']} {roles}")
            text += sentence + "\n\n"
        (folder / "text" / f"art{i:02d}.txt").write_text(text, encoding="utf-8")
        (folder / "attributions" / f"art{i:02d}_ann1.ann").write_text("\n".join(ann) + "\n", encoding="utf-8")
    return folder


def test_training_command_writes_a_judge_and_a_reader_that_load_and_read(tmp_path: pathlib.Path) -> None:
    from onrecord.train.attributions import main

    data = _brat_corpus(tmp_path / "brat", 20)
    out = tmp_path / "judge.npz"
    assert main([str(data), "--out", str(out), "--jobs", "1", "--epochs", "1"]) == 0
    card = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["true_cues"] > 0 and card["cross_validated"]["f1"] > 0.5
    model = AttributionModel.load.__wrapped__(AttributionModel, out)
    assert model is not None and model.cue.weights.shape == model.span.weights.shape
    assert (model.last.feature < N_DECISION).all()
    assert set(card["role_reader"]["cross_fitted_average_precision"]) == set(CHANNELS)
    reader = RoleReader.from_weights(tmp_path / "roles.npz")
    doc = load_pipeline()("Ana Ruiz said the budget would pass in the spring.")
    readings = reader.tokens(doc, find_quotes(doc.text))
    assert readings.shape == (len(doc), len(CHANNELS)) and ((readings >= 0) & (readings <= 1)).all()


def test_token_labels_mark_roles_and_content_edges() -> None:
    from onrecord.train.roles import token_labels

    doc = load_pipeline()("Ana said it rained.")
    ann = ("T1\tSource 0 3\tAna\nT2\tCue 4 8\tsaid\nT3\tContent 9 18\tit rained\n"
           "E1\tAttribution:T2 Source:T1 Cue:T2 Content:T3\n")
    labels = token_labels(doc, ann)
    assert [t.text for t in doc] == ["Ana", "said", "it", "rained", "."]
    assert labels[:, CHANNELS.index("source")].tolist() == [1, 0, 0, 0, 0]
    assert labels[:, CHANNELS.index("cue")].tolist() == [0, 1, 0, 0, 0]
    assert labels[:, CHANNELS.index("content")].tolist() == [0, 0, 1, 1, 0]
    assert labels[:, CHANNELS.index("content_begin")].tolist() == [0, 0, 1, 0, 0]
    assert labels[:, CHANNELS.index("content_end")].tolist() == [0, 0, 0, 1, 0]


def test_a_time_is_never_a_content() -> None:
    r = analyze("Senator Maria Lopez, who has called for a ban on the pesticide, spoke on Monday.",
                convention="polnear")
    assert all(a.content.text != "on Monday" for a in r.attributions)
    (a,) = [a for a in r.attributions if "ban" in a.content.text]
    assert a.speaker.text == "who" and a.speaker.name == "Maria Lopez"


def test_role_readings_do_not_travel_with_the_doc() -> None:
    doc = load_pipeline(convention="polnear")(ARTICLE)
    assert doc._.onrecord["attributions"] and ROLES not in doc.user_data


def test_a_cues_stretches_stop_before_a_coordinated_or_participle_clause() -> None:
    from onrecord.attribute.learned import _spans

    doc = load_pipeline()("The mayor said the city was safe, adding that police were ready.\n\n"
                          "The ministry rejected the demand and has since left the talks.")
    for lemma, later in (("say", "adding"), ("reject", "left")):
        (cue,) = [t for t in doc if t.lemma_ == lemma]
        stretches = [doc.text[start:end] for _, start, end, _ in _spans(cue, taken=False)]
        assert stretches and not any(later in s for s in stretches), stretches
    # the participle is a statement of its own: the convention reads both
    r = analyze("“We see no link to terrorism,” the mayor said, adding that it would take more hours "
                "before details emerge.", convention="polnear")
    contents = {a.cue.text: a.content.text for a in r.attributions}
    assert "terrorism" in contents.get("said", "") and "more hours" in contents.get("adding", ""), contents


def test_transcript_labels_are_candidates_even_inside_a_quotation_running_on() -> None:
    from onrecord.attribute.actors import ActorIndex
    from onrecord.attribute.learned import colon_candidates

    # each paragraph opens a quotation mark that never closes, as transcripts are often pasted
    text = ("The interview, in part:\n\n"
            "\"HOST: Will the senator attend the hearing tomorrow?\n\n"
            "\"OKAFOR: She will not attend. Her office called the hearing \u201ca stunt.\u201d\n\n"
            "Follow the reporter on social media.")
    doc = load_pipeline()(text)
    quotes = find_quotes(text)
    found = colon_candidates(doc, quotes, ActorIndex(doc), [])
    read = {text[f.speaker[0]:f.speaker[1]]: (text[f.cue[0]:f.cue[1]], text[f.content[0]:f.content[1]]) for f in found}
    assert read["HOST"] == (":", "Will the senator attend the hearing tomorrow?")
    assert read["OKAFOR"] == (":", "She will not attend. Her office called the hearing \u201ca stunt.\u201d")


def test_a_cue_whose_line_ends_in_a_colon_may_have_the_next_paragraph_as_content() -> None:
    from onrecord.attribute.learned import _spans

    doc = load_pipeline()("The governor added:\n\nIt is typical of her. She knows nothing.\n\nThe vote is on Friday.")
    (cue,) = [t for t in doc if t.lemma_ == "add"]
    stretches = {relation: doc.text[start:end] for relation, start, end, _ in _spans(cue, taken=False)}
    assert stretches["next"] == "It is typical of her. She knows nothing."


def test_the_threshold_curve_counts_matches_as_the_scorer_does() -> None:
    from onrecord.evaluate import match_words
    from onrecord.train.attributions import end_figures

    text = "Lopez said taxes will rise. Kim said taxes will rise next year. The mayor denied it. Rain fell."
    spans = [(text.find(s), text.find(s) + len(s)) for s in
             ("taxes will rise.", "taxes will rise next year", "it", "The mayor denied it", "Rain fell")]
    likelihoods = (0.9, 0.6, 0.5, 0.4, 0.2)
    judged = [(Found(span, "indirect", cue=(0, 1)), p) for span, p in zip(spans, likelihoods, strict=True)]
    gold = ["taxes will rise", "taxes will rise next year", "it"]
    curve = end_figures([(judged, text, gold)], [0.1, 0.45, 0.55, 0.95])
    for row in curve:
        kept = [text[f.content[0]:f.content[1]] for f in choose(judged, row["threshold"])]
        tp = len(match_words(gold, kept))
        p = tp / len(kept) if kept else 0.0
        assert row["p"] == round(p, 4) and row["r"] == round(tp / len(gold), 4)
    assert [row["r"] for row in curve] == [1.0, 1.0, round(2 / 3, 4), 0.0]


def test_a_word_the_reader_does_not_read_as_a_cue_is_no_stance_candidate() -> None:
    from onrecord.attribute.actors import ActorIndex
    from onrecord.attribute.learned import MIN_CUE_READING, stance_candidates

    doc = load_pipeline()("The senator argued that the tariffs would raise prices.")
    sent, quotes, actors = next(iter(doc.sents)), find_quotes(doc.text), ActorIndex(doc)
    argued = next(t.i for t in doc if t.text == "argued")
    readings = np.full((len(doc), len(CHANNELS)), 0.5, dtype=np.float32)
    doc.user_data[ROLES] = readings

    def cues(taken: set[int]) -> set[int | None]:
        return {f.cue_token for f in stance_candidates(sent, quotes, actors, [], taken)}

    assert argued in cues(set())
    readings[argued, CHANNELS.index("cue")] = MIN_CUE_READING / 2
    assert argued not in cues(set())
    assert argued in cues({argued})  # a cue a rule already read keeps its other contents whatever the reader says
