"""Check-worthiness scorer: shipped weights behave sensibly on news sentences; training runs end to end."""

from __future__ import annotations

import csv
import random
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from onrecord.assess.checkworthiness import CheckworthinessModel, SentenceEncoder, checkworthiness, is_checkworthy

# Specific, verifiable assertions in a news register: numbers, named bodies, dated events, causes.
CLAIMS = [
    "The city council approved a $4.5 million budget for road repairs on Tuesday.",
    "Unemployment in the region rose to 8.3 percent in 2021, the highest level in a decade.",
    "The bill passed the Senate by a vote of 52 to 48.",
    "More than 1,200 residents were evacuated after the river burst its banks on Sunday.",
    "Wheat prices doubled within three months of the export ban taking effect.",
    "The company cut 3,000 jobs last year after its sales fell by a fifth.",
    "Inflation reached 9.1 percent in June, the fastest rise since 1981.",
    "The governor signed the law in March, raising the minimum wage to $15 an hour.",
    "Two police officers were charged with assault over the arrest.",
    "The plant was closed in 2015 because the parent company lost its defence contract.",
]

# Opinions, hedges, vague statements, pleasantries and questions.
NON_CLAIMS = [
    "The new stadium is a beautiful addition to the neighbourhood.",
    "Many people feel that things could be better.",
    "Good morning, and welcome to the programme.",
    "What happens next is anyone's guess.",
    "Perhaps the talks will lead somewhere, perhaps not.",
    "It was a wonderful evening for everyone involved.",
    "Thank you all for coming tonight.",
    "Will the government finally act?",
    "I think we should all be a little kinder to each other.",
    "Let's hope for the best.",
]


@pytest.fixture(scope="module")
def model() -> CheckworthinessModel:
    return CheckworthinessModel.load()


def test_shipped_weights_are_small_plain_arrays() -> None:
    path = resources.files("onrecord") / "data" / "checkworthiness.npz"
    assert path.is_file()
    with resources.as_file(path) as p:
        assert p.stat().st_size < 50_000_000
        with np.load(p, allow_pickle=False) as z:  # would raise if anything needed unpickling
            assert all(z[k].dtype != object for k in z.files)


def test_scores_are_probabilities(model: CheckworthinessModel) -> None:
    scores = model.score([*CLAIMS, *NON_CLAIMS, "", "   ", "?", "42"])
    assert len(scores) == len(CLAIMS) + len(NON_CLAIMS) + 4
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert model.score([]) == []


def test_claims_outscore_opinions_on_average(model: CheckworthinessModel) -> None:
    claims = np.array(model.score(CLAIMS))
    others = np.array(model.score(NON_CLAIMS))
    assert claims.mean() - others.mean() > 0.4
    # Most claims clear the model's own threshold; most non-claims do not.
    assert (claims >= model.threshold).mean() >= 0.8
    assert (others < model.threshold).mean() >= 0.8


@pytest.mark.parametrize(
    ("claim", "other"),
    [
        ("The factory laid off 450 workers in May.", "The factory is a sad place these days."),
        ("Crime fell by 12 percent in the city between 2019 and 2022.", "The city feels safer than it used to."),
        ("The minister resigned on Friday after the audit found $2 million missing.", "Will the minister resign?"),
        ("The storm killed at least 14 people across three provinces.", "Our thoughts are with everyone affected."),
        ("The central bank raised interest rates to 5.25 percent.", "Maybe rates will go up, maybe they won't."),
    ],
)
def test_clear_pairs_are_ordered(model: CheckworthinessModel, claim: str, other: str) -> None:
    s_claim, s_other = model.score([claim, other])
    assert s_claim > s_other


def test_batch_equals_single_and_convenience(model: CheckworthinessModel) -> None:
    sentences = [*CLAIMS, *NON_CLAIMS]
    batch = model.score(sentences)
    single = [model.score([s])[0] for s in sentences]
    assert batch == pytest.approx(single, abs=1e-6)  # padding in a batch moves the embedding by float error
    assert checkworthiness(sentences) == pytest.approx(batch, abs=1e-12)
    # Whitespace layout does not change the score.
    assert model.score(["The bill passed  the Senate\n by a vote of 52 to 48."]) == pytest.approx(
        model.score([CLAIMS[2]]), abs=1e-6
    )


def test_shipped_model_is_cached(model: CheckworthinessModel) -> None:
    assert CheckworthinessModel.load() is CheckworthinessModel.load()


def test_a_budget_bounds_the_sentences_embedded(model: CheckworthinessModel,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if not model.uses_encoder:
        pytest.skip("the shipped model has no embedding block")
    embedded: list[int] = []
    kind = type(model.encoder())
    real = kind.embed
    monkeypatch.setattr(kind, "embed", lambda self, texts, batch=32: (embedded.append(len(texts)),
                                                                     real(self, texts, batch))[1])
    sentences = [*CLAIMS, *NON_CLAIMS]
    scores = model.score(sentences, budget=1)
    assert sum(embedded) <= 1 and len(scores) == len(sentences)
    embedded.clear()
    model.score(sentences)  # no budget: every sentence the embedding could move across the threshold
    assert 1 <= sum(embedded) <= len(sentences)


def test_rejects_foreign_npz(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, meta=np.frombuffer(b'{"format": "something-else"}', dtype=np.uint8))
    with pytest.raises(ValueError):
        CheckworthinessModel.load(bad)


# --- training, on a small synthetic dataset generated here (the real data is not needed) ---

_PLACES = ["Riverton", "Eastbrook", "Maple County", "the northern district", "Port Alden", "Greenfield"]
_THINGS = ["unemployment", "the deficit", "crime", "school funding", "housing costs", "the tax rate"]


def _synthetic_rows(rng: random.Random, n: int, start_id: int) -> list[tuple[int, str, str]]:
    """Positive rows state numbers, dates and events; negative rows are opinions, hedges and pleasantries."""
    positive = [
        "In {year}, {thing} in {place} rose by {n} percent.",
        "{place} spent ${n} million on {thing} last year.",
        "The council voted {n} to {m} to cut {thing} in {year}.",
        "{thing} fell to {n} percent in {place} after the law passed in {year}.",
    ]
    negative = [
        "I think {thing} is a terrible problem for all of us.",
        "Thank you so much, it is great to be here in {place}.",
        "Maybe we should talk about {thing} some other time.",
        "Do you really believe that {thing} matters?",
    ]
    rows = []
    for k in range(n):
        is_pos = k % 2 == 0
        template = rng.choice(positive if is_pos else negative)
        text = template.format(
            year=rng.randint(1990, 2023), thing=rng.choice(_THINGS), place=rng.choice(_PLACES),
            n=rng.randint(2, 90), m=rng.randint(2, 90),
        )
        rows.append((start_id + k, text[0].upper() + text[1:], "Yes" if is_pos else "No"))
    return rows


def _write_tsv(path: Path, rows: list[tuple[int, str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t")
        writer.writerow(["Sentence_id", "Text", "class_label"])
        writer.writerows(rows)


def _synthetic_data(tmp_path: Path, seed: int, sizes: tuple[int, int, int]) -> Path:
    """A folder of synthetic train / dev / dev-test files of ``sizes`` rows, numbered as debates are."""
    rng = random.Random(seed)
    data = tmp_path / "data"
    data.mkdir()
    for split, size, first_id in zip(("train", "dev", "dev-test"), sizes, (1, 1000, 2000), strict=True):
        _write_tsv(data / f"synthetic_{split}.tsv", _synthetic_rows(rng, size, first_id))
    return data


def test_training_end_to_end_on_synthetic_data(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from onrecord.train.checkworthiness import train

    data = _synthetic_data(tmp_path, 7, (48, 16, 16))
    out = tmp_path / "model" / "cw.npz"

    figures = train(data, out)

    assert out.is_file() and out.with_suffix(".json").is_file()
    assert figures["recent_debates"]["n"] == 5  # the highest tenth of train's sentence ids, never trained on
    assert 0.0 <= figures["dev"]["ece"] <= 1.0
    for split in ("dev", "dev_test"):
        assert set(figures[split]) >= {"precision", "recall", "f1"}
        assert figures[split]["f1"] >= 0.9  # the synthetic classes are easy to tell apart
    assert figures["export_max_abs_diff"] < 1e-3

    loaded = CheckworthinessModel.load(out)
    fresh_pos = "In 2004, crime in Port Alden rose by 31 percent."
    fresh_neg = "I think crime is a terrible problem for all of us."
    s_pos, s_neg = loaded.score([fresh_pos, fresh_neg])
    assert 0.0 <= s_neg < s_pos <= 1.0


def test_is_checkworthy_is_the_models_own_yes_no(model: CheckworthinessModel) -> None:
    sentences = [*CLAIMS, *NON_CLAIMS]
    assert is_checkworthy(sentences) == [p >= model.threshold for p in model.score(sentences)]
    assert is_checkworthy([]) == []


def test_skipping_the_encoder_never_changes_a_yes_no(model: CheckworthinessModel) -> None:
    """Sentences the embedding cannot move across the threshold are scored without it; the yes/no is the
    same as with every sentence embedded."""
    if not model.uses_encoder:
        pytest.skip("the shipped model has no embedding block")
    sentences = [*CLAIMS, *NON_CLAIMS, "The minister said the plan was fair.", "Prices rose 4% in May."]
    full = np.array(model.score(sentences, model.encoder().embed(sentences)))
    fast = np.array(model.score(sentences))
    assert ((full >= model.threshold) == (fast >= model.threshold)).all()


def test_numpy_encoder_matches_its_reference_shape() -> None:
    vectors = SentenceEncoder.load().embed(["The bill passed the Senate by a vote of 52 to 48.", "Thank you."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) < 0.9


def _numpy_reference(sentences: list[str], views: list[tuple[int, str]]) -> np.ndarray:
    """The same encoder written out in numpy from the package's weights (BERT: Devlin et al. 2019), to check
    the onnxruntime graph and the pooling of each view against."""
    from safetensors import safe_open

    from onrecord.attribute.roles import encoder_path

    with safe_open(str(encoder_path() / "model.safetensors"), framework="np") as f:
        w = {k: f.get_tensor(k).astype(np.float64) for k in f.keys()}  # noqa: SIM118

    def norm(x: np.ndarray, prefix: str) -> np.ndarray:
        x = x - x.mean(-1, keepdims=True)
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-12) * w[prefix + ".weight"] + w[prefix + ".bias"]

    def dense(x: np.ndarray, prefix: str) -> np.ndarray:
        return x @ w[prefix + ".weight"].T + w[prefix + ".bias"]

    out = []
    for ids in SentenceEncoder.piece_ids(sentences):
        n = len(ids)
        h = norm(w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
                 + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        layers = [h]
        for k in range(max(layer for layer, _ in views)):
            p = f"encoder.layer.{k}."
            q, key, v = (dense(h, p + f"attention.self.{m}").reshape(n, 12, 32).transpose(1, 0, 2)
                         for m in ("query", "key", "value"))
            s = q @ key.transpose(0, 2, 1) / np.sqrt(32)
            s = np.exp(s - s.max(-1, keepdims=True))
            ctx = ((s / s.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(n, 384)
            h = norm(dense(ctx, p + "attention.output.dense") + h, p + "attention.output.LayerNorm")
            x = dense(h, p + "intermediate.dense")
            x = 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3)))
            h = norm(dense(x, p + "output.dense") + h, p + "output.LayerNorm")
            layers.append(h)
        pooled = [layers[layer][0] if pooling == "cls" else layers[layer].mean(0) for layer, pooling in views]
        out.append(np.concatenate([v / np.linalg.norm(v) for v in pooled]))
    return np.array(out)


@pytest.mark.parametrize("views", [[(3, "mean")], [(0, "mean"), (2, "cls"), (6, "mean"), (6, "cls")]])
def test_the_onnx_encoder_equals_a_plain_numpy_run(views: list[tuple[int, str]]) -> None:
    sentences = ["The bill passed the Senate by a vote of 52 to 48.", "Thank you.", CLAIMS[1]]
    vectors = SentenceEncoder.load(views).embed(sentences)  # one padded batch
    assert vectors.shape == (3, 384 * len(views)) and vectors.dtype == np.float32
    assert np.abs(vectors - _numpy_reference(sentences, views)).max() < 1e-4
    assert np.allclose(np.linalg.norm(vectors.reshape(3, len(views), 384), axis=2), 1.0, atol=1e-5)


def test_encoder_views_are_checked() -> None:
    for bad in ([(7, "mean")], [(2, "max")], [], [(1, "cls"), (1, "cls")]):
        with pytest.raises(ValueError):
            SentenceEncoder.load(bad)


def test_a_perceptron_term_and_its_views_survive_saving(tmp_path: Path) -> None:
    base = CheckworthinessModel.load()
    rng = np.random.default_rng(0)
    views = ((1, "mean"), (2, "cls"))
    mlp = (rng.normal(size=(768, 8)) / 10, rng.normal(size=8) / 10, rng.normal(size=8), 0.3)
    model = CheckworthinessModel(base.blocks, base.dense_mean, base.dense_scale, base.dense_coef, base.intercept,
                                 threshold=0.4, encoder_mlp=mlp, encoder_views=views)
    path = tmp_path / "m.npz"
    model.save(path)
    back = CheckworthinessModel.load(path)
    assert back.encoder_views == views and back.uses_encoder and not back.encoder_coef.size
    embeddings = SentenceEncoder.load(views).embed(CLAIMS)
    expected = np.maximum(embeddings.astype(np.float64) @ mlp[0] + mlp[1], 0.0) @ mlp[2] + mlp[3]
    assert np.allclose(back.embedding_term(embeddings), expected, atol=1e-4)
    assert back.score(CLAIMS) == pytest.approx(model.score(CLAIMS), abs=1e-4)
    assert back.score(CLAIMS, embeddings) == pytest.approx(back.score(CLAIMS), abs=1e-6)


def test_a_sentence_left_unencoded_gets_the_fallback_or_the_news_fill(model: CheckworthinessModel) -> None:
    if model.encoder_term is None:
        pytest.skip("the shipped model has no embedding block")
    assert model.encoder_fill is not None  # measured on news by the training command (--news)
    scores = _check_unencoded(model, [*CLAIMS, *NON_CLAIMS])
    if model.fallback is not None:  # the word + cue part alone still tells the claims from the opinions
        yes = scores >= model.threshold
        assert yes[: len(CLAIMS)].mean() >= 0.8 and (~yes[len(CLAIMS) :]).mean() >= 0.8


def _check_unencoded(model: CheckworthinessModel, sentences: list[str]) -> np.ndarray:
    """With no sentence encoded (budget 0): a sentence whose yes/no the encoder could not change is scored with
    the encoder term's fill, the others with the fallback (the word + cue part's own calibrated probability) or,
    without one, the fill too. Returns the scores."""
    assert model.encoder_term is not None
    embeddings = model.encoder().embed(sentences)
    without = model.decision(sentences, embeddings) - model.embedding_term(embeddings)
    lo, mean, hi = model.encoder_term
    mean = model.encoder_fill if model.encoder_fill is not None else mean
    scale, bias = model.calibration
    cut = (np.log(model.threshold / (1 - model.threshold)) - bias) / scale
    movable = (without + lo < cut) & (without + hi >= cut)
    scores = np.array(model.score(sentences, budget=0))
    fill = 1 / (1 + np.exp(-(scale * (without + mean) + bias)))
    assert np.allclose(scores[~movable], fill[~movable])
    if model.fallback is None:
        assert np.allclose(scores[movable], fill[movable])
    else:
        a, b = model.fallback
        assert np.allclose(scores[movable], 1 / (1 + np.exp(-(a * without[movable] + b))))
    return scores


def test_evaluate_scores_dev_dev_test_and_the_held_out_debates(tmp_path: Path) -> None:
    from onrecord.evaluate_flags import score_checkthat

    rng = random.Random(5)
    _write_tsv(tmp_path / "x_train.tsv", _synthetic_rows(rng, 40, 1))
    _write_tsv(tmp_path / "x_dev.tsv", _synthetic_rows(rng, 12, 1000))
    _write_tsv(tmp_path / "x_dev-test.tsv", _synthetic_rows(rng, 8, 2000))
    figures = score_checkthat(tmp_path)["figures"]
    assert (figures["dev"]["n"], figures["dev_test"]["n"], figures["recent_debates"]["n"]) == (12, 8, 4)
    assert set(figures["recent_debates"]) >= {"precision", "recall", "f1"}


def _length_logit_onnx(path: Path) -> Path:
    """A stand-in for the fine-tuned encoder, built here with onnx's helpers: (input_ids, attention_mask) ->
    0.2 * pieces - 2, so the plumbing is tested without torch or a trained network."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["maskf", "axes"], ["pieces"], keepdims=0),
        helper.make_node("Mul", ["pieces", "scale"], ["scaled"]),
        helper.make_node("Add", ["scaled", "bias"], ["logit"]),
    ]
    inits = [helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
             helper.make_tensor("scale", TensorProto.FLOAT, [], [0.2]),
             helper.make_tensor("bias", TensorProto.FLOAT, [], [-2.0])]
    graph = helper.make_graph(
        nodes, "length", [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "pieces"])
                          for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["batch"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_a_finetuned_encoder_is_combined_and_travels_with_the_weights(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from onrecord.assess.checkworthiness import ClaimEncoder
    from onrecord.train.checkworthiness import train

    data = _synthetic_data(tmp_path, 11, (48, 16, 16))
    encoder = _length_logit_onnx(tmp_path / "length.onnx")
    sentences = ["Thank you.", "The council voted 12 to 3 to cut the tax rate in 2004."]
    logits = ClaimEncoder.load(encoder).embed(sentences)
    pieces = [len(p) for p in SentenceEncoder.piece_ids(sentences)]
    assert logits.shape == (2, 1) and np.allclose(logits[:, 0], [0.2 * n - 2 for n in pieces], atol=1e-5)

    out = tmp_path / "model" / "cw.npz"
    figures = train(data, out, encoder=encoder)
    assert out.with_suffix(".onnx").is_file()  # the encoder is copied beside the weights, under their name
    assert figures["export_max_abs_diff"] < 1e-3 and figures["dev_test"]["f1"] >= 0.9
    loaded = CheckworthinessModel.load(out)
    assert loaded.encoder_file == out.with_suffix(".onnx") and loaded.encoder_coef.shape == (1,)
    assert isinstance(loaded.encoder(), ClaimEncoder)
    logits = loaded.encoder().embed(sentences)
    full = np.array(loaded.score(sentences, logits))
    assert ((np.array(loaded.score(sentences)) >= loaded.threshold) == (full >= loaded.threshold)).all()
    assert loaded.fallback is not None  # fitted on the tuning slice beside the calibration
    _check_unencoded(loaded, sentences)

    recent = train(data, tmp_path / "recent" / "cw.npz", encoder=encoder, prior="recent")
    assert recent["prior"] == "recent" and recent["recent_newer_half"]["n"] + recent["recent_older_half"]["n"] == 5


def test_the_training_command_fine_tunes_and_ships_an_encoder(tmp_path: Path) -> None:
    """``--finetune``: the encoder fine-tuned (one pass over a tiny synthetic train file), exported to int8 ONNX,
    combined on the tuning slice and copied beside the weights — the shipped model's path, end to end."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from onrecord.assess.checkworthiness import ClaimEncoder
    from onrecord.train.checkworthiness import main

    data = _synthetic_data(tmp_path, 3, (40, 12, 8))
    out = tmp_path / "model" / "cw.npz"
    assert main([str(data), "--finetune", str(tmp_path / "ft"), "--out", str(out), "--batch", "8"]) == 0
    assert (tmp_path / "ft" / "encoder-e1.onnx").is_file() and out.with_suffix(".onnx").is_file()
    model = CheckworthinessModel.load(out)
    assert isinstance(model.encoder(), ClaimEncoder) and model.fallback is not None
    assert all(0.0 <= p <= 1.0 for p in model.score(CLAIMS[:2] + NON_CLAIMS[:2]))
