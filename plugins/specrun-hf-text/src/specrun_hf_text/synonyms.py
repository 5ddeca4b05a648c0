"""Where EDA finds synonyms: a user file, word vectors trained on the corpus (gensim
Word2Vec), or a masked language model asked what fits in the word's place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from specrun import DataError, UserError


class SynonymFinder(Protocol):
    def candidates(self, words: list[str], i: int) -> list[str]:
        """Synonyms of ``words[i]`` (its sentence given for context-aware sources)."""


class FileSynonyms:
    """``word<TAB>syn1 syn2 ...`` per line (``#`` comments, blank lines allowed), or a
    JSON object ``{"word": ["syn1", ...]}`` when the file ends in .json."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.table = self._read_json() if self.path.suffix.lower() == ".json" else self._read_tsv()
        if not self.table:
            raise UserError(f"synonyms file {self.path} has no entries")

    def _read_tsv(self) -> dict[str, list[str]]:
        table: dict[str, list[str]] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            raise UserError(f"synonyms file {self.path} is not UTF-8 text") from None
        for n, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            word, tab, rest = line.partition("\t")
            syns = rest.split()
            if not tab or not word.strip() or not syns:
                shown = line if len(line) <= 40 else line[:37] + "..."
                raise UserError(
                    f"synonyms file {self.path} line {n}: expected 'word<TAB>synonym synonym ...', "
                    f"got {shown!r}"
                )
            table.setdefault(word.strip(), []).extend(s for s in syns if s != word.strip())
        return table

    def _read_json(self) -> dict[str, list[str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"synonyms file {self.path} is not valid JSON: {exc}") from None
        ok = isinstance(data, dict) and all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in data.values()
        )
        if not ok:
            raise UserError(
                f"synonyms file {self.path}: expected a JSON object of word -> list of synonyms"
            )
        return {k: [s for s in v if s != k] for k, v in data.items()}

    def candidates(self, words: list[str], i: int) -> list[str]:
        return self.table.get(words[i], [])


class Word2VecSynonyms:
    """Nearest neighbours in word vectors trained on the train texts themselves."""

    def __init__(self, texts: list[str], spec: Any, seed: int):
        from gensim.models import Word2Vec

        sentences = [str(t).split() for t in texts if str(t).strip()]
        self.model = Word2Vec(
            sentences=sentences,
            vector_size=spec.vector_size,
            window=3,
            min_count=spec.min_count,
            workers=1,
            seed=seed,
            epochs=spec.epochs,
        )
        if len(self.model.wv) == 0:
            raise DataError(
                f"eda word2vec synonyms: no word occurs {spec.min_count}+ times in the train "
                "texts; lower synonyms.min_count"
            )
        self.topn, self.floor = spec.topn, spec.min_similarity
        self._memo: dict[str, list[str]] = {}

    def candidates(self, words: list[str], i: int) -> list[str]:
        word = words[i]
        if word not in self._memo:
            if word in self.model.wv:
                near = self.model.wv.most_similar(word, topn=self.topn)
                self._memo[word] = [w for w, sim in near if sim >= self.floor and w != word]
            else:
                self._memo[word] = []
        return self._memo[word]


class MaskedLMSynonyms:
    """The words a masked LM predicts in place of the word, in its sentence."""

    def __init__(self, checkpoint: Path, spec: Any, ctx: Any):
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        from .hf_env import device_of, import_torch, load_pretrained

        self.torch = import_torch(ctx)
        self.tokenizer = load_pretrained(AutoTokenizer, str(checkpoint), "masked LM tokenizer")
        if self.tokenizer.mask_token is None:
            raise UserError(f"synonyms.checkpoint {checkpoint} has no mask token: not a masked LM")
        self.model = load_pretrained(AutoModelForMaskedLM, str(checkpoint), "masked LM")
        self.device = device_of(ctx)
        self.model.to(self.device).eval()
        self.topn = spec.topn
        self.special = set(self.tokenizer.all_special_ids)

    def candidates(self, words: list[str], i: int) -> list[str]:
        torch = self.torch
        masked = words[:i] + [self.tokenizer.mask_token] + words[i + 1 :]
        enc = self.tokenizer(
            " ".join(masked), return_tensors="pt", truncation=True, max_length=128
        ).to(self.device)
        where = (enc["input_ids"][0] == self.tokenizer.mask_token_id).nonzero()
        if len(where) == 0:
            return []
        with torch.no_grad():
            logits = self.model(**enc).logits[0, where[0, 0]]
        out: list[str] = []
        for tid in logits.topk(min(self.topn * 5, logits.shape[-1])).indices.tolist():
            if tid in self.special:
                continue
            token = self.tokenizer.convert_ids_to_tokens(tid)
            if token.startswith("##"):
                continue  # a word piece, not a word
            word = self.tokenizer.convert_tokens_to_string([token]).strip()
            if word and word != words[i] and any(ch.isalnum() for ch in word):
                out.append(word)
            if len(out) >= self.topn:
                break
        return out


def build_synonym_finder(spec: Any, texts: list[str], ctx: Any) -> SynonymFinder:
    if spec.source == "file":
        return FileSynonyms(spec.path)
    if spec.source == "word2vec":
        return Word2VecSynonyms(texts, spec, ctx.seed)
    return MaskedLMSynonyms(spec.checkpoint, spec, ctx)
