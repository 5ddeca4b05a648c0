"""Parameter pieces shared by several kinds: checkpoints and tokenizer training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo
from specrun import Params


def _resolve_checkpoint(value: str, info: ValidationInfo) -> str:
    """A local directory (resolved like specrun's ExistingDir) or a hub id kept as given.

    Anything that looks like a path (starts with '.', '/', '~' or names an existing place)
    must be a directory, so that a typo in a local path is caught at validation and not
    sent to a hub that this machine cannot reach.
    """
    p = Path(value).expanduser()
    bases = [Path(b) for b in (info.context or {}).get("base_dirs", [])] or [Path.cwd()]
    tried = [p] if p.is_absolute() else [b / p for b in bases]
    for cand in tried:
        if cand.is_dir():
            return str(cand.resolve())
        if cand.exists():
            raise ValueError(
                f"checkpoint {value} is a file, expected a directory saved with save_pretrained"
            )
    if value.startswith((".", "/", "~")) or value.count("/") > 1:
        where = ", ".join(str(t) for t in dict.fromkeys(tried))
        raise ValueError(f"checkpoint directory does not exist: {value} (looked in {where})")
    return value  # a hub id such as klue/bert-base


Checkpoint = Annotated[str, AfterValidator(_resolve_checkpoint)]


class TokenizerSpec(Params):
    """A tokenizer trained on the run's own train split."""

    kind: Literal["wordpiece", "bpe", "sentencepiece"] = Field(
        "wordpiece",
        description="wordpiece (BERT), bpe (byte-level, GPT-2/RoBERTa), "
        "sentencepiece (unigram, XLM-R)",
    )
    vocab_size: int = Field(2000, ge=50, le=500_000)
    min_frequency: int = Field(2, ge=1, description="rarer pieces are left out of the vocabulary")
    lowercase: bool = False
    limit_alphabet: int | None = Field(
        None,
        ge=10,
        description="wordpiece: keep only the N most frequent characters, rarer ones become "
        "unknown (as in pretrained vocabularies)",
    )


def one_of(values: dict[str, Any], *names: str) -> None:
    """Exactly one of ``names`` is set; raises a ValueError that says which are."""
    given = [n for n in names if values.get(n) is not None]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of {', '.join(names)} (got {', '.join(given) if given else 'none'})"
        )


def absolute_store(value: str | None) -> str | None:
    """A store path made absolute where the spec is validated: a Ray worker's working
    directory need not be the driver's."""
    return None if value is None else str(Path(value).expanduser().resolve())
