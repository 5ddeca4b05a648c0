"""The ``tfidf_logreg`` model kind: TF-IDF features and logistic regression (scikit-learn)
for sentiment, judged by the spec's metrics (core's ``accuracy``/``macro_f1``).

With ``group_by`` (e.g. before/after an event) every group of a split is also scored on its
own and logged under the split ``<split>@<group>``, so the store compares them directly:

    SELECT split, name, value FROM metrics WHERE run_id = ? AND split LIKE 'eval@%'

``positive_share_pred`` is the share the model calls positive (the sentiment of the group,
as the model reads it), ``positive_share_true`` the share labeled positive; the change from
the first group to the last is logged under the split itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from specrun import DataError, Dataset, Predictions

from .params import TfidfLogregParams
from .tfidf import tfidf_vectorizer


def load_pipeline(artifact_dir: Path) -> Any:
    import joblib

    return joblib.load(Path(artifact_dir) / "model" / "tfidf_logreg.joblib")


class TfidfLogreg:
    def __init__(self, params: TfidfLogregParams):
        self.p = params

    def _column(self, frame: Any, name: str, param: str, split: str) -> list[Any]:
        if name not in frame.columns:
            hint = " (add a konlpy_tokenize step under augment:)" if param == "tokens" else ""
            raise DataError(
                f"model.{param}: column {name!r} is not in the {split} split "
                f"(columns: {', '.join(frame.columns)}){hint}"
            )
        return frame[name].to_list()

    def _xy(self, data: Dataset, split: str) -> tuple[list[list[str]], list[str]]:
        frame = data[split]
        docs = [list(d or []) for d in self._column(frame, self.p.tokens, "tokens", split)]
        labels = [str(y) for y in self._column(frame, self.p.label, "label", split)]
        return docs, labels

    def build(self, ctx: Any, data: Dataset) -> Any:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        _, labels = self._xy(data, "train")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise DataError(
                f"model: the label column {self.p.label!r} has one class only ({classes[0]!r})"
            )
        if self.p.positive not in classes:
            raise DataError(
                f"model.positive: {self.p.positive!r} is not a label (labels: {', '.join(classes)})"
            )
        if self.p.group_by and self.p.group_by not in data["train"].columns:
            raise DataError(
                f"model.group_by: column {self.p.group_by!r} is not in the data "
                f"(columns: {', '.join(data['train'].columns)})"
            )
        p = self.p
        vectorizer = tfidf_vectorizer(
            p.ngram_max, p.min_df, p.max_df, p.max_features, p.sublinear_tf
        )
        classifier = LogisticRegression(
            C=p.C, class_weight=p.class_weight, max_iter=p.max_iter, random_state=ctx.seed
        )
        return Pipeline([("tfidf", vectorizer), ("logreg", classifier)])

    def fit(self, ctx: Any, model: Any, data: Dataset) -> Any:
        docs, labels = self._xy(data, "train")
        model.fit(docs, labels)
        ctx.step = 1
        train_acc = sum(a == b for a, b in zip(model.predict(docs), labels, strict=True)) / len(
            labels
        )
        ctx.log_metrics(
            {"accuracy": train_acc, "features": len(model.named_steps["tfidf"].vocabulary_)},
            split="train",
        )
        self._record_terms(ctx, model)
        return model

    def _record_terms(self, ctx: Any, model: Any) -> None:
        classifier = model.named_steps["logreg"]
        terms = model.named_steps["tfidf"].get_feature_names_out()
        classes = [str(c) for c in classifier.classes_]
        if len(classes) == 2:
            # Binary: one row of weights, pointing towards classes_[1].
            weights = classifier.coef_[0] * (1 if classes[1] == self.p.positive else -1)
        else:
            weights = classifier.coef_[classes.index(self.p.positive)]
        k = min(self.p.top_terms, len(terms))
        # Ties are broken by the term, so the stored lists do not depend on sort stability.
        by_weight = sorted(range(len(terms)), key=lambda i: (-weights[i], str(terms[i])))
        by_weight_low = sorted(range(len(terms)), key=lambda i: (weights[i], str(terms[i])))
        positive = [(str(terms[i]), float(weights[i])) for i in by_weight[:k]]
        negative = [(str(terms[i]), float(weights[i])) for i in by_weight_low[:k]]
        rows = [{"input": t, "output": "positive", "weight": round(w, 6)} for t, w in positive]
        rows += [{"input": t, "output": "negative", "weight": round(w, 6)} for t, w in negative]
        ctx.log_samples(rows, split="terms")
        path = ctx.work_dir / "terms.tsv"
        path.write_text(
            "direction\tterm\tweight\n"
            + "".join(f"{r['output']}\t{r['input']}\t{r['weight']}\n" for r in rows),
            encoding="utf-8",
        )
        ctx.save_artifact(path, "terms.tsv", kind="table")

    # -- evaluation -----------------------------------------------------------------------
    def _shares(self, outputs: list[str], references: list[str]) -> dict[str, float]:
        n = len(outputs)
        return {
            "metric:positive_share_pred": sum(o == self.p.positive for o in outputs) / n,
            "metric:positive_share_true": sum(r == self.p.positive for r in references) / n,
            "metric:n": n,
        }

    def _groups(self, frame: Any) -> tuple[list[str], list[str]]:
        values = ["(missing)" if g is None else str(g) for g in frame[self.p.group_by].to_list()]
        present = list(dict.fromkeys(sorted(values)))
        order = [g for g in (self.p.group_order or []) if g in present]
        return values, order + [g for g in present if g not in order]

    def predict(self, ctx: Any, model: Any, data: Dataset, split: str) -> Predictions:
        docs, labels = self._xy(data, split)
        frame = data[split]
        texts = (
            [str(t) for t in frame[self.p.text].to_list()] if self.p.text in frame.columns else None
        )
        outputs = [str(o) for o in model.predict(docs)]
        scores = model.predict_proba(docs)
        classes = [str(c) for c in model.classes_]
        extra: dict[str, Any] = self._shares(outputs, labels)
        if self.p.group_by:
            extra.update(
                self._score_groups(ctx, frame, split, outputs, labels, texts, scores, classes)
            )
        self._samples(ctx, split, texts, labels, outputs, scores, classes, frame)
        return Predictions(
            split,
            outputs=outputs,
            references=labels,
            inputs=texts,
            scores=scores,
            labels=classes,
            extra=extra,
        )

    def _score_groups(
        self,
        ctx: Any,
        frame: Any,
        split: str,
        outputs: list[str],
        labels: list[str],
        texts: list[str] | None,
        scores: Any,
        classes: list[str],
    ) -> dict[str, float]:
        values, order = self._groups(frame)
        table = []
        for group in order:
            idx = [i for i, v in enumerate(values) if v == group]
            preds = Predictions(
                f"{split}@{group}",
                outputs=[outputs[i] for i in idx],
                references=[labels[i] for i in idx],
                inputs=[texts[i] for i in idx] if texts else None,
                scores=scores[idx],
                labels=classes,
                extra=self._shares([outputs[i] for i in idx], [labels[i] for i in idx]),
            )
            table.append({"group": group, **ctx.evaluate(preds)})
        path = ctx.work_dir / f"groups_{split}.json"
        path.write_text(json.dumps(table, ensure_ascii=False, indent=1), encoding="utf-8")
        ctx.save_artifact(path, f"groups_{split}.json", kind="table")
        if len(table) < 2:
            return {}
        first, last = table[0], table[-1]
        return {
            f"metric:{name}_change": last[name] - first[name]
            for name in ("positive_share_pred", "positive_share_true")
            if name in first
        }

    def _samples(
        self,
        ctx: Any,
        split: str,
        texts: list[str] | None,
        labels: list[str],
        outputs: list[str],
        scores: Any,
        classes: list[str],
        frame: Any,
    ) -> None:
        if split != "eval" or not self.p.samples:
            return
        pos = classes.index(self.p.positive)
        groups = frame[self.p.group_by].to_list() if self.p.group_by else None
        k = min(self.p.samples, len(labels))
        ctx.log_samples(
            (
                {
                    "input": texts[i] if texts else None,
                    "reference": labels[i],
                    "output": outputs[i],
                    "p_positive": round(float(scores[i][pos]), 4),
                    **({"group": str(groups[i])} if groups else {}),
                }
                for i in range(k)
            ),
            split=split,
        )

    def save(self, ctx: Any, model: Any) -> None:
        import joblib

        folder = ctx.work_dir / "tfidf_logreg"
        folder.mkdir(exist_ok=True)
        joblib.dump(model, folder / "tfidf_logreg.joblib")
        (folder / "params.json").write_text(
            json.dumps(self.p.model_dump(mode="json")), encoding="utf-8"
        )
        ctx.save_artifact(folder, "model", kind="model")
