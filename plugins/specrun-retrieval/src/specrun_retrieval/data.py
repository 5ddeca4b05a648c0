"""The `generated_dialogue` data kind: seeded (context, response) pairs, Korean or English.

Each pair is one intent (weather, food, symptoms, ...) with its slots filled the same way
on both sides; the response's form mostly follows the context's form. Some slots are
phrased differently by the user and the bot (``{slot@1}``), so a model has to learn the
association; an untrained encoder ranks near chance.
"""

from __future__ import annotations

import re
from typing import Any

from specrun import Dataset
from specrun.builtins.splits import split_frame

from specrun_textkit.korean import attach_particle

from .dialogue_templates import EN_INTENTS, EN_OPENERS, KO_INTENTS, KO_OPENERS
from .params import GeneratedDialogueParams

PLACEHOLDER = re.compile(r"\{(\w+)(?:@(\d))?(?::(\w+))?\}")
PAIRED = 0.85  # share of pairs whose response form follows from the context form


def fill(template: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name, part, particle = m.group(1), m.group(2), m.group(3)
        text = values[name].split("|")[int(part or 0)]
        return attach_particle(text, particle) if particle else text

    return PLACEHOLDER.sub(one, template)


def generate_pairs(
    language: str, n: int, max_turns: int, seed: int
) -> tuple[list[str], list[str], list[int]]:
    """``n`` (context, response, intent index) triples; the same seed gives the same set."""
    import numpy as np

    intents, openers = (KO_INTENTS, KO_OPENERS) if language == "ko" else (EN_INTENTS, EN_OPENERS)
    rng = np.random.default_rng(seed)
    contexts, responses, labels = [], [], []
    for _ in range(n):
        i = int(rng.integers(len(intents)))
        intent = intents[i]
        values = {k: str(v[rng.integers(len(v))]) for k, v in intent["slots"].items()}
        c = int(rng.integers(len(intent["contexts"])))
        turns = [fill(intent["contexts"][c], values)]
        # earlier small-talk turns: noise the model must learn to look past
        for _ in range(int(rng.integers(max_turns))):
            turns.insert(0, openers[rng.integers(len(openers))])
        contexts.append("\n".join(turns))
        # a context form mostly gets "its" response form: an association to learn, with noise
        forms = intent["responses"]
        r = c % len(forms) if rng.random() < PAIRED else int(rng.integers(len(forms)))
        response = fill(forms[r], values)
        responses.append(response[:1].upper() + response[1:])
        labels.append(i)
    return contexts, responses, labels


class GeneratedDialogue:
    def __init__(self, params: GeneratedDialogueParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        import polars as pl

        p = self.params
        contexts, responses, intents = generate_pairs(p.language, p.pairs, p.max_turns, ctx.seed)
        df = pl.DataFrame({"context": contexts, "response": responses, "intent": intents})
        return Dataset(
            split_frame(df, p.split, ctx.seed),
            meta={"context": "context", "response": "response", "language": p.language},
        )
