"""The same examples across runs, aligned on the input as `specrun samples` aligns them,
with a score per example and run: exact match always (a classifier's correct label),
sentence BLEU and chrF when sacrebleu is installed and the references are sentences, and
ROUGE-L F1 (0-1, as the rouge metric reports it) when rouge-score is installed, and the
rank of the true response among its candidates where a retrieval run logged it."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from specrun.history.samples import latest_samples
from specrun.store.query import Store

from .jsonable import plain
from .views import run_ids


def _sentence_scorers() -> dict[str, Any]:
    try:
        from sacrebleu.metrics import BLEU, CHRF
    except ImportError:
        return {}
    bleu, chrf = BLEU(effective_order=True), CHRF()
    return {
        "bleu": lambda out, ref: bleu.sentence_score(out, [ref]).score,
        "chrf": lambda out, ref: chrf.sentence_score(out, [ref]).score,
    }


# Runs of letters or digits in any script: rouge-score's own tokenizer keeps only [a-z0-9],
# so a Korean summary would score 0 against any reference (textmetrics' rouge does the same).
_WORD = re.compile(r"[^\W_]+")


class _Words:
    @staticmethod
    def tokenize(text: str) -> list[str]:
        return _WORD.findall(text.lower())


def _rouge_scorer() -> dict[str, Any]:
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        return {}
    scorer = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_Words())
    return {"rougeL": lambda out, ref: scorer.score(ref, out)["rougeL"].fmeasure}


def _rank_of_true(extra: Any) -> float | None:
    """The retrieval trainer's ``rank_of_true`` (1 = first of its candidates), if any."""
    if not extra:
        return None
    try:
        value = json.loads(extra).get("rank_of_true") if isinstance(extra, str) else None
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def samples_page(
    store: Store,
    refs: Sequence[str],
    split: str | None = None,
    sort: str = "index",
    score: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """Rows of input, reference and one output and score set per run. ``sort='delta'``
    puts first the examples where the last run scores worst against the first."""
    ids = run_ids(store, refs)
    frame = latest_samples(store, ids, split)
    by_input: dict[tuple[str, str], dict[str, Any]] = {}
    ranks: dict[tuple[str, str], dict[str, float]] = {}
    for r in frame.iter_rows(named=True):
        key = (r["split"], r["input"] or "")
        row = by_input.setdefault(
            key,
            {
                "split": r["split"],
                "idx": r["idx"],
                "input": r["input"],
                "reference": r["reference"],
                "outputs": {},
                "scores": {},
            },
        )
        if row["reference"] is None:
            row["reference"] = r["reference"]
        row["outputs"].setdefault(r["run_id"], r["output"])
        rank = _rank_of_true(r.get("extra"))
        if rank is not None:  # a retrieval run: where the true response ranked
            ranks.setdefault(key, {}).setdefault(r["run_id"], rank)
    sentences = any(" " in (r["reference"] or "").strip() for r in by_input.values())
    # a label (a classifier's sample) is correct or not; a sentence also matches exactly or not
    same = "exact" if sentences else "correct"
    scorers = {same: lambda out, ref: float(out.strip() == ref.strip())}
    if sentences:
        scorers.update(_sentence_scorers())
        scorers.update(_rouge_scorer())
    for row in by_input.values():
        ref = row["reference"]
        for run_id, out in row["outputs"].items():
            if ref is None or out is None:
                continue
            row["scores"][run_id] = {k: round(f(out, ref), 3) for k, f in scorers.items()}
    names = list(scorers)
    if ranks:
        names.append("rank")
        for key, by_run in ranks.items():
            for run_id, rank in by_run.items():
                by_input[key]["scores"].setdefault(run_id, {})["rank"] = rank
    primary = score if score in names else ("chrf" if "chrf" in names else same)
    # delta < 0: the last run did worse than the first (for a rank, a larger number)
    sign = -1 if primary == "rank" else 1
    rows = list(by_input.values())
    for row in rows:
        first = row["scores"].get(ids[0], {}).get(primary)
        last = row["scores"].get(ids[-1], {}).get(primary)
        row["delta"] = None if first is None or last is None else round(sign * (last - first), 3)
    if sort == "delta":
        rows.sort(key=lambda r: (r["delta"] is None, r["delta"] if r["delta"] is not None else 0))
    means = {}
    for run_id in ids:
        got = [r["scores"][run_id][primary] for r in rows if run_id in r["scores"]]
        means[run_id] = round(sum(got) / len(got), 3) if got else None
    return {
        "runs": ids,
        "scores": names,
        "primary": primary,
        "total": len(rows),
        "mean": means,
        "rows": plain(rows[offset : offset + limit]),
    }
