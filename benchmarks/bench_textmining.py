"""Text-mining benchmarks: KoNLPy tokenizing throughput per tagger, and LDA training time
against the number of topics, on the corpora that ship inside konlpy (kolaw + kobill).

Run: python benchmarks/bench_textmining.py                       (the full set)
     python benchmarks/bench_textmining.py --smoke               (every tagger, 2 topic counts, seconds)
     python benchmarks/bench_textmining.py --taggers komoran,okt --topics 4,8,16 --json out.json

Records (benchmarks/results/textmining.json): "tokenize <tagger>" (sentences/s; a skip record
for a tagger that is not installed), "lda <k> topics" (train s, with its c_v coherence).

Throughput is measured through the plugin's own ``KoreanTokenizer`` (what a run does:
regex cleaning, tagging, POS filter), after the tagger is built and warmed up; the build
time (JVM start, dictionary loading) is reported on its own. Kkma is much slower than
the others, so it gets fewer sentences.
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from typing import Any

from benchlib import Results, parser

from specrun_textmining.corpora import chunks, konlpy_corpus_dir, sentences, unwrap
from specrun_textmining.params import TokenizeParams
from specrun_textmining.tokenizer import KoreanTokenizer

ALL_TAGGERS = ("komoran", "okt", "hannanum", "kkma", "mecab")


def corpus_text() -> list[tuple[str, bool]]:
    root = konlpy_corpus_dir()
    docs = [(p.read_text(encoding="utf-8"), False) for p in sorted((root / "kolaw").glob("*.txt"))]
    docs += [(p.read_text(encoding="utf-8"), True) for p in sorted((root / "kobill").glob("*.txt"))]
    return docs


def corpus_sentences() -> list[str]:
    out: list[str] = []
    for text, wrapped in corpus_text():
        out += [s for s in sentences(unwrap(text) if wrapped else text) if len(s) >= 10]
    return out


def available(tagger: str) -> bool:
    return tagger != "mecab" or importlib.util.find_spec("mecab") is not None


def bench_tagger(tagger: str, texts: list[str], repeat: int) -> dict[str, Any]:
    started = time.perf_counter()
    tok = KoreanTokenizer(TokenizeParams(tagger=tagger))
    tok.tokens(texts[0])  # builds the tagger (and the JVM for the Java taggers)
    build_s = time.perf_counter() - started
    for text in texts[:5]:  # JIT warm-up
        tok.tokens(text)
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        n_tokens = sum(len(tok.tokens(t)) for t in texts)
        runs.append(time.perf_counter() - t0)
    best = min(runs)
    chars = sum(len(t) for t in texts)
    return {
        "tagger": tagger,
        "sentences": len(texts),
        "build_s": round(build_s, 2),
        "seconds": round(best, 3),
        "sentences_per_s": round(len(texts) / best, 1),
        "chars_per_s": round(chars / best),
        "nouns": n_tokens,
    }


def bench_lda(
    topics: list[int], passes: int, repeat: int, seed: int = 42, max_docs: int | None = None
) -> list[dict[str, Any]]:
    from gensim.corpora import Dictionary
    from gensim.models import CoherenceModel, LdaModel

    tok = KoreanTokenizer(TokenizeParams(tagger="komoran", min_length=2))
    texts = [
        chunk
        for text, wrapped in corpus_text()
        for chunk in chunks(sentences(unwrap(text) if wrapped else text), 500)
    ]
    docs = [tok.tokens(chunk) for chunk in (texts[:max_docs] if max_docs else texts)]
    dictionary = Dictionary(docs)
    dictionary.filter_extremes(no_below=2, no_above=0.2)
    corpus = [dictionary.doc2bow(d) for d in docs]
    rows = []
    for k in topics:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            lda = LdaModel(
                corpus,
                id2word=dictionary,
                num_topics=k,
                passes=passes,
                random_state=seed,
                eval_every=None,
            )
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        c_v = CoherenceModel(
            model=lda, texts=docs, dictionary=dictionary, coherence="c_v", processes=1
        ).get_coherence()
        rows.append(
            {
                "num_topics": k,
                "passes": passes,
                "docs": len(corpus),
                "words": len(dictionary),
                "train_s": round(statistics.median(times), 3),
                "coherence_c_v": round(c_v, 4),
                "coherence_s": round(time.perf_counter() - t0, 3),
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in keys}
    lines = ["  ".join(k.rjust(widths[k]) for k in keys)]
    lines += ["  ".join(str(r[k]).rjust(widths[k]) for k in keys) for r in rows]
    return "\n".join(lines)


def main() -> None:
    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--taggers", default=",".join(ALL_TAGGERS))
    ap.add_argument("--sentences", type=int, default=600, help="sentences per tagger")
    ap.add_argument("--kkma-sentences", type=int, default=100)
    ap.add_argument("--topics", default="4,8,16,32")
    ap.add_argument("--passes", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    max_docs = None
    jvm_skipped: list[str] = []
    if args.smoke:  # the tagger and LDA + coherence paths on a few sentences and documents
        args.sentences, args.kkma_sentences, args.topics, args.passes, args.repeat = (
            20,
            5,
            "2,4",
            1,
            1,
        )
        max_docs = 40
        # building a Java tagger costs 4-60 s of CPU (Kkma the most): smoke builds Komoran,
        # which the specs use, and mecab (no JVM) when it is installed
        jvm_skipped = ["okt", "hannanum", "kkma"]
    res = Results("textmining", args)
    res.uses("konlpy", "gensim")

    texts = corpus_sentences()
    tag_rows = []
    for tagger in [t.strip() for t in args.taggers.split(",") if t.strip()]:
        if tagger in jvm_skipped:
            res.skip(f"tokenize {tagger}", "--smoke: the same KoreanTokenizer path as komoran")
            continue
        if not available(tagger):
            res.skip(f"tokenize {tagger}", "not installed (pip install python-mecab-ko)")
            continue
        n = args.kkma_sentences if tagger == "kkma" else args.sentences
        tag_rows.append(bench_tagger(tagger, texts[:n], args.repeat))
        r = tag_rows[-1]
        res.add(
            f"tokenize {tagger}",
            r["sentences_per_s"],
            unit="sentences/s",
            better="higher",
            sizes={"sentences": r["sentences"], "repeat": args.repeat},
            build_s=r["build_s"],
            chars_per_s=r["chars_per_s"],
        )
        print(table(tag_rows[-1:]), flush=True)
    lda_rows = bench_lda(
        [int(k) for k in args.topics.split(",")], args.passes, args.repeat, max_docs=max_docs
    )
    for r in lda_rows:
        res.add(
            f"lda {r['num_topics']} topics",
            r["train_s"],
            sizes={"docs": r["docs"], "words": r["words"], "passes": r["passes"]},
            coherence_c_v=r["coherence_c_v"],
            coherence_s=r["coherence_s"],
        )
    print(f"\ntokenizing ({len(texts)} sentences in kolaw+kobill; best of {args.repeat})")
    print(table(tag_rows))
    print(f"\nLDA training time against num_topics (median of {args.repeat})")
    print(table(lda_rows))
    res.finish(table=False)


if __name__ == "__main__":
    main()
