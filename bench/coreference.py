"""CPU cost of coreference, as a share of the pipeline, on the same articles in one run.

    .venv/bin/python bench/coreference.py --data ../shared/data/polnear/dev/text -n 40 --rounds 2

The articles are parsed once (spaCy, onrecord's component disabled); then onrecord's component runs over
the parsed documents with coreference off (pronouns and descriptions unresolved), with the pronoun trees
alone (``coref.without_reader``) and as by default (trees and text reader), the three interleaved in
each round, timed by process CPU time. Coreference's share is the extra CPU over the pipeline without
it (parse + component); the throughput ratio is what it leaves of that pipeline's speed. Run it at one
thread (``OMP_NUM_THREADS=1``): the machine is shared and the figure is a ratio within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import time
from collections.abc import Iterator


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=pathlib.Path, required=True, help="a folder of .txt articles")
    ap.add_argument("-n", type=int, default=40, help="the first N articles (sorted by name)")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    import onrecord.attribute.actors as actors
    from onrecord.attribute.coref import without_reader
    from onrecord.attribute.coref_reader import PronounReader
    from onrecord.parse import load_pipeline

    texts = [f.read_text(encoding="utf-8") for f in sorted(args.data.glob("*.txt"))[: args.n]]
    nlp = load_pipeline()
    component = nlp.get_pipe("onrecord")
    t = time.process_time()
    with nlp.select_pipes(disable=["onrecord"]):
        docs = list(nlp.pipe(texts, batch_size=4))
    parse_cpu = time.process_time() - t

    passes = {"n": 0}
    reader = PronounReader.load()
    if reader is not None:
        run = reader.session.run

        def counted(*a, **k):  # type: ignore[no-untyped-def]
            passes["n"] += 1
            return run(*a, **k)

        reader.session.run = counted  # type: ignore[method-assign]

    @contextlib.contextmanager
    def off() -> Iterator[None]:
        resolve_pronouns, resolve_descriptions = actors.resolve_pronouns, actors.resolve_descriptions
        actors.resolve_pronouns = lambda *a, **k: {}  # type: ignore[assignment]
        actors.resolve_descriptions = lambda *a, **k: {}  # type: ignore[assignment]
        try:
            yield
        finally:
            actors.resolve_pronouns, actors.resolve_descriptions = resolve_pronouns, resolve_descriptions

    modes = {"off": off, "trees alone": without_reader, "default": contextlib.nullcontext}
    for doc in docs[:3]:  # warm: the models load outside the timed passes
        component(doc)
    cpu = dict.fromkeys(modes, 0.0)
    per_mode: dict[str, int] = {}
    for _ in range(args.rounds):
        for mode, context in modes.items():
            passes["n"] = 0
            with context():
                t = time.process_time()
                for doc in docs:
                    component(doc)
                cpu[mode] += time.process_time() - t
            per_mode[mode] = passes["n"]
    cpu = {m: v / args.rounds for m, v in cpu.items()}
    base = parse_cpu + cpu["off"]
    n = len(docs)
    print(f"{n} articles; the pipeline without coreference: {base / n * 1000:.0f} ms CPU per article")
    print("| coreference | ms per article | share of the pipeline | throughput ratio | reader passes per article |")
    print("|---|---|---|---|---|")
    for mode in ("trees alone", "default"):
        extra = cpu[mode] - cpu["off"]
        print(f"| {mode} | {extra / n * 1000:.1f} | {extra / base * 100:.1f}% | {base / (base + extra):.3f} "
              f"| {per_mode[mode] / n:.2f} |")


if __name__ == "__main__":
    main()
