"""The generated Korean data: correct particles, determinism, held-out combinations."""

from __future__ import annotations

import pytest

from specrun_hf.grammar_ko_en import SUBJECTS, VERBS, generate_pairs
from specrun_hf.grammar_summaries import generate_summaries
from specrun_hf.hangul import has_final_consonant, with_particle


@pytest.mark.parametrize(
    ("word", "role", "expected"),
    [
        ("학생", "topic", "학생은"),
        ("친구", "topic", "친구는"),
        ("선생님", "subject", "선생님이"),
        ("의사", "subject", "의사가"),
        ("책", "object", "책을"),
        ("사과", "object", "사과를"),
        ("빵", "object", "빵을"),
        ("커피", "object", "커피를"),
    ],
)
def test_particles_follow_the_final_consonant(word, role, expected):
    assert with_particle(word, role) == expected


def test_final_consonant_rejects_non_hangul():
    assert has_final_consonant("밥") and not has_final_consonant("바나나")
    with pytest.raises(ValueError, match="Hangul"):
        has_final_consonant("apple")


def test_pairs_are_deterministic_and_eval_combinations_never_seen_in_training():
    a = generate_pairs(2000, 200, 100, 0.15, seed=3)
    assert a == generate_pairs(2000, 200, 100, 0.15, seed=3)
    assert a != generate_pairs(2000, 200, 100, 0.15, seed=4)
    train = {combo for _, _, combo in a["train"]}
    held = {combo for split in ("eval", "test") for _, _, combo in a[split]}
    assert held and not (train & held)
    # Every subject and verb of eval still occurs in training: only the pairing is new.
    assert {c.split("|")[0] for c in held} <= {c.split("|")[0] for c in train}
    assert {c.split("|")[1] for c in held} <= {c.split("|")[1] for c in train}
    assert len(train) + len(held) <= len(SUBJECTS) * len(VERBS)


def test_sentences_use_correct_particles_and_agree_in_tense():
    for ko, en, combo in generate_pairs(500, 0, 0, 0.15, seed=1)["train"]:
        subject = combo.split("|")[0]
        first = ko.split()[0]
        assert first in (with_particle(subject, "topic"), with_particle(subject, "subject"))
        assert ko.endswith("다.") and en.startswith("The ") and en.endswith(".")
        if "어제" in ko:
            assert "yesterday" in en and "will" not in en
        if "내일" in ko:
            assert "tomorrow" in en and "will" in en


def test_summaries_copy_the_facts_of_their_document():
    rows = generate_summaries(50, 10, 0, seed=2)
    assert set(rows) == {"train", "eval"}
    for doc, summary in rows["train"]:
        city = summary.split("에서")[0]
        people = [w for w in summary.split() if w.endswith("명이")][0]
        assert city in doc and people in doc
