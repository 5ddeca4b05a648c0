"""The ``lda`` model kind: gensim LDA topics over token lists, judged by coherence (c_v,
u_mass ...) and perplexity, with the corpus's TF-IDF top terms and word cloud beside it.

It trains itself (build/fit/predict; no trainer section). Reproducible by construction:
LDA gets ``random_state=seed``, coherence runs in one process, and nothing iterates over a
set or dict whose order could change between processes, so the same seed gives the same
topics and coherence to the last digit, in-process or in a Ray worker.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from specrun import DataError, Dataset, Predictions

from .params import LdaParams
from .tfidf import tfidf_vectorizer, top_terms, write_terms_tsv
from .visuals import render_wordcloud, write_ldavis_page

# Coherence measures that read the texts through a sliding window; u_mass reads the corpus.
_TEXT_MEASURES = ("c_v", "c_npmi", "c_uci")


def load_lda(artifact_dir: Path) -> dict[str, Any]:
    """The saved model of an lda run: {"lda": LdaModel, "dictionary": Dictionary}."""
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    folder = Path(artifact_dir) / "model"
    return {
        "lda": LdaModel.load(str(folder / "lda")),
        "dictionary": Dictionary.load(str(folder / "dictionary")),
    }


class LdaTopics:
    def __init__(self, params: LdaParams):
        self.p = params

    def _docs(self, data: Dataset, split: str) -> list[list[str]]:
        frame = data[split]
        if self.p.tokens not in frame.columns:
            raise DataError(
                f"model.tokens: column {self.p.tokens!r} is not in the {split} split (columns: "
                f"{', '.join(frame.columns)}); add a konlpy_tokenize step under augment:"
            )
        return [list(d or []) for d in frame[self.p.tokens].to_list()]

    def build(self, ctx: Any, data: Dataset) -> dict[str, Any]:
        from gensim.corpora import Dictionary

        docs = [d for d in self._docs(data, "train") if d]
        dictionary = Dictionary(docs)
        before = len(dictionary)
        dictionary.filter_extremes(
            no_below=self.p.no_below, no_above=self.p.no_above, keep_n=self.p.keep_n
        )
        if len(dictionary) == 0:
            raise DataError(
                f"model: no word is left for LDA after filtering the {before} words of "
                f"{len(docs)} documents (no_below={self.p.no_below}, no_above={self.p.no_above}); "
                f"lower no_below or raise no_above"
            )
        corpus = [dictionary.doc2bow(d) for d in docs]
        kept = [i for i, bow in enumerate(corpus) if bow]
        docs, corpus = [docs[i] for i in kept], [corpus[i] for i in kept]
        if len(corpus) < 2:
            raise DataError(
                f"model: LDA needs at least 2 documents with known words, got {len(corpus)}"
            )
        ctx.log(f"lda: {len(corpus)} documents, {len(dictionary)} words (of {before})")
        return {"dictionary": dictionary, "docs": docs, "corpus": corpus, "lda": None}

    # -- training -----------------------------------------------------------------------
    def fit(self, ctx: Any, model: dict[str, Any], data: Dataset) -> dict[str, Any]:
        from gensim.models import LdaModel

        self._tfidf_and_cloud(ctx, model["docs"])
        p = self.p
        ctx.log(f"lda: training {p.num_topics} topics, {p.passes} passes")
        lda = LdaModel(
            corpus=model["corpus"],
            id2word=model["dictionary"],
            num_topics=p.num_topics,
            passes=p.passes,
            iterations=p.iterations,
            alpha=p.alpha,
            eta=p.eta,
            chunksize=p.chunksize,
            random_state=ctx.seed,
            eval_every=None,
        )
        model["lda"] = lda
        ctx.step = p.passes
        scores, per_topic = self._coherence(lda, model)
        bound = lda.log_perplexity(model["corpus"])
        extra = {f"metric:coherence_{m}": v for m, v in scores.items()}
        extra.update({"metric:perplexity": 2 ** (-bound), "metric:log_perplexity": bound})
        ctx.evaluate(Predictions("train", extra=extra))
        self._record_topics(ctx, model, per_topic)
        return model

    def _coherence(
        self, lda: Any, model: dict[str, Any]
    ) -> tuple[dict[str, float], dict[str, list[float]]]:
        from gensim.models import CoherenceModel

        scores: dict[str, float] = {}
        per_topic: dict[str, list[float]] = {}
        for measure in self.p.coherence:
            kwargs: dict[str, Any] = (
                {"corpus": model["corpus"]} if measure == "u_mass" else {"texts": model["docs"]}
            )
            cm = CoherenceModel(
                model=lda,
                dictionary=model["dictionary"],
                coherence=measure,
                topn=self.p.topn,
                processes=1,
                **kwargs,
            )
            values = [float(v) for v in cm.get_coherence_per_topic()]
            # nan for a topic whose words never co-occur in a window: reported, not hidden.
            scores[measure] = float(cm.aggregate_measures(values))
            per_topic[measure] = values
        return scores, per_topic

    def _tfidf_and_cloud(self, ctx: Any, docs: list[list[str]]) -> None:
        vectorizer = tfidf_vectorizer()
        matrix = vectorizer.fit_transform(docs)
        vocab = [str(t) for t in vectorizer.get_feature_names_out()]
        n = max(self.p.tfidf_top, self.p.wordcloud_words if self.p.wordcloud else 0)
        ranked = top_terms(matrix, vocab, n)
        top = ranked[: self.p.tfidf_top]
        ctx.log_samples(
            (
                {"input": f"#{i + 1}", "output": term, "weight": round(w, 6)}
                for i, (term, w) in enumerate(top)
            ),
            split="tfidf",
        )
        path = ctx.work_dir / "tfidf_top_terms.tsv"
        write_terms_tsv(path, top)
        ctx.save_artifact(path, "tfidf_top_terms.tsv", kind="table")
        if self.p.wordcloud:
            png = ctx.work_dir / "wordcloud.png"
            words = dict(ranked[: self.p.wordcloud_words])
            font = render_wordcloud(
                words,
                png,
                ctx.seed,
                self.p.wordcloud_words,
                str(self.p.font_path) if self.p.font_path else None,
            )
            ctx.log(f"word cloud drawn with {font.name}")
            ctx.save_artifact(png, "wordcloud.png", kind="image")
            # What the picture shows, in text: the font (it has Hangul) and the weights.
            meta = ctx.work_dir / "wordcloud.json"
            meta.write_text(
                json.dumps({"font": str(font), "words": words}, ensure_ascii=False, indent=1),
                encoding="utf-8",
            )
            ctx.save_artifact(meta, "wordcloud.json", kind="table")

    def _record_topics(
        self, ctx: Any, model: dict[str, Any], per_topic: dict[str, list[float]]
    ) -> None:
        lda = model["lda"]
        topics = []
        for t in range(self.p.num_topics):
            words = [(str(w), float(v)) for w, v in lda.show_topic(t, topn=self.p.topn)]
            coherence = {
                m: (None if math.isnan(v[t]) else round(v[t], 6)) for m, v in per_topic.items()
            }
            topics.append(
                {
                    "topic": t,
                    "words": [w for w, _ in words],
                    "weights": [round(v, 6) for _, v in words],
                    "coherence": coherence,
                }
            )
        ctx.log_samples(
            (
                {
                    "input": f"topic {t['topic']}",
                    "output": " ".join(t["words"]),
                    "weights": t["weights"],
                    "coherence": t["coherence"],
                }
                for t in topics
            ),
            split="topics",
        )
        path = ctx.work_dir / "topics.json"
        path.write_text(json.dumps(topics, ensure_ascii=False, indent=1), encoding="utf-8")
        ctx.save_artifact(path, "topics.json", kind="table")
        self._doc_topics(ctx, model)
        if self.p.ldavis:
            page = ctx.work_dir / "ldavis.html"
            try:
                write_ldavis_page(
                    lda,
                    model["corpus"],
                    model["dictionary"],
                    page,
                    f"LDA topics of run {ctx.run_id} ({self.p.num_topics} topics)",
                )
            except ImportError as exc:
                ctx.log(f"no pyLDAvis page: {exc} (pip install pyLDAvis)")
            else:
                ctx.save_artifact(page, "ldavis.html", kind="report")

    def _doc_topics(self, ctx: Any, model: dict[str, Any]) -> None:
        lda = model["lda"]
        lines = ["doc\tdominant_topic\tprobability\n"]
        for i, bow in enumerate(model["corpus"]):
            dist = lda.get_document_topics(bow, minimum_probability=0.0)
            topic, prob = max(dist, key=lambda tp: (tp[1], -tp[0]))
            lines.append(f"{i}\t{topic}\t{prob:.4f}\n")
        path = ctx.work_dir / "doc_topics.tsv"
        path.write_text("".join(lines), encoding="utf-8")
        ctx.save_artifact(path, "doc_topics.tsv", kind="table")

    # -- held-out evaluation and saving ------------------------------------------------------
    def predict(
        self, ctx: Any, model: dict[str, Any], data: Dataset, split: str
    ) -> Predictions | None:
        bows = [model["dictionary"].doc2bow(d) for d in self._docs(data, split)]
        bows = [b for b in bows if b]
        if not bows:
            ctx.log(
                f"lda: no {split} document has a word of the dictionary: no held-out perplexity"
            )
            return None
        # total_docs = the training size: gensim's bound carries one corpus-wide term that
        # must be spread over a training-sized corpus, not over a few held-out documents.
        bound = model["lda"].log_perplexity(bows, total_docs=len(model["corpus"]))
        return Predictions(
            split,
            extra={
                "metric:perplexity": 2 ** (-bound),
                "metric:log_perplexity": bound,
                "metric:docs": len(bows),
            },
        )

    def save(self, ctx: Any, model: dict[str, Any]) -> None:
        if not self.p.save_model or model.get("lda") is None:
            return
        folder = ctx.work_dir / "lda_model"
        folder.mkdir(exist_ok=True)
        lda, dictionary = model["lda"], model["dictionary"]
        # gensim pickles a log of "lifecycle events" with wall-clock times and the host's
        # platform into every file; None switches it off, so a rerun stores the same bytes.
        for obj in (lda, getattr(lda, "state", None), getattr(lda, "id2word", None), dictionary):
            if obj is not None:
                obj.lifecycle_events = None
        lda.save(str(folder / "lda"))
        dictionary.save(str(folder / "dictionary"))
        ctx.save_artifact(folder, "model", kind="model")
