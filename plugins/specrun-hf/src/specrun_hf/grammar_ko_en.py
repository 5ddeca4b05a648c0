"""A deterministic Korean -> English sentence-pair generator from a small grammar.

Each sentence is subject + optional time + optional place + optional adjective + object +
verb, in one of three tenses, affirmative or negated. Korean particles follow the final
consonant of the noun (학생은 / 친구는, 학생이 / 친구가, 책을 / 사과를). The eval and test
splits use (subject, verb) combinations that never occur in training, so BLEU on them
measures whether the model composes what it learned, not whether it remembers sentences.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from .hangul import with_particle

SUBJECTS = [
    ("학생", "student"),
    ("선생님", "teacher"),
    ("의사", "doctor"),
    ("아이", "child"),
    ("엄마", "mother"),
    ("아빠", "father"),
    ("친구", "friend"),
    ("할머니", "grandmother"),
    ("할아버지", "grandfather"),
    ("남자", "man"),
    ("여자", "woman"),
    ("소년", "boy"),
    ("소녀", "girl"),
    ("요리사", "chef"),
    ("경찰관", "police officer"),
    ("가수", "singer"),
    ("간호사", "nurse"),
    ("농부", "farmer"),
    ("작가", "writer"),
    ("손님", "guest"),
]

# Objects by category; adjectives that make sense for each category.
OBJECTS = {
    "food": [
        ("사과", "apple"),
        ("빵", "bread"),
        ("밥", "rice"),
        ("케이크", "cake"),
        ("피자", "pizza"),
        ("김치", "kimchi"),
        ("바나나", "banana"),
        ("라면", "ramen"),
    ],
    "drink": [
        ("물", "water"),
        ("커피", "coffee"),
        ("우유", "milk"),
        ("주스", "juice"),
        ("차", "tea"),
    ],
    "text": [
        ("책", "book"),
        ("편지", "letter"),
        ("신문", "newspaper"),
        ("잡지", "magazine"),
        ("소설", "novel"),
        ("이메일", "email"),
        ("보고서", "report"),
        ("시", "poem"),
    ],
    "show": [("영화", "movie"), ("드라마", "drama"), ("경기", "game"), ("뉴스", "news")],
    "sound": [("음악", "music"), ("노래", "song"), ("강의", "lecture"), ("방송", "broadcast")],
    "thing": [
        ("가방", "bag"),
        ("신발", "shoes"),
        ("열쇠", "key"),
        ("지갑", "wallet"),
        ("인형", "doll"),
        ("꽃", "flower"),
        ("컵", "cup"),
    ],
    "device": [
        ("우산", "umbrella"),
        ("시계", "watch"),
        ("의자", "chair"),
        ("자전거", "bicycle"),
        ("컴퓨터", "computer"),
        ("라디오", "radio"),
    ],
}
ADJECTIVES = {
    "food": [("맛있는", "delicious"), ("큰", "big"), ("작은", "small")],
    "drink": [("따뜻한", "warm"), ("차가운", "cold")],
    "text": [("긴", "long"), ("짧은", "short"), ("재미있는", "interesting")],
    "show": [("재미있는", "interesting"), ("긴", "long"), ("새로운", "new")],
    "sound": [("새로운", "new"), ("긴", "long"), ("조용한", "quiet")],
    "thing": [("새", "new"), ("낡은", "old"), ("큰", "big"), ("작은", "small"), ("빨간", "red")],
    "device": [
        ("새", "new"),
        ("낡은", "old"),
        ("큰", "big"),
        ("작은", "small"),
        ("비싼", "expensive"),
    ],
}


@dataclass(frozen=True)
class Verb:
    korean: tuple[str, str, str]  # present, past, future
    english: tuple[str, str, str]  # base, third person singular, past
    categories: tuple[str, ...] = ()


VERBS = [
    Verb(("먹는다", "먹었다", "먹을 것이다"), ("eat", "eats", "ate"), categories=("food",)),
    Verb(("마신다", "마셨다", "마실 것이다"), ("drink", "drinks", "drank"), categories=("drink",)),
    Verb(("읽는다", "읽었다", "읽을 것이다"), ("read", "reads", "read"), categories=("text",)),
    Verb(("본다", "봤다", "볼 것이다"), ("watch", "watches", "watched"), categories=("show",)),
    Verb(
        ("듣는다", "들었다", "들을 것이다"),
        ("listen to", "listens to", "listened to"),
        categories=("sound",),
    ),
    Verb(("쓴다", "썼다", "쓸 것이다"), ("write", "writes", "wrote"), categories=("text",)),
    Verb(
        ("산다", "샀다", "살 것이다"),
        ("buy", "buys", "bought"),
        categories=("food", "drink", "text", "thing", "device"),
    ),
    Verb(
        ("만든다", "만들었다", "만들 것이다"),
        ("make", "makes", "made"),
        categories=("food", "drink"),
    ),
    Verb(
        ("찾는다", "찾았다", "찾을 것이다"),
        ("find", "finds", "found"),
        categories=("thing", "device"),
    ),
    Verb(
        ("좋아한다", "좋아했다", "좋아할 것이다"),
        ("like", "likes", "liked"),
        categories=("food", "drink", "text", "show", "sound", "thing", "device"),
    ),
    Verb(("씻는다", "씻었다", "씻을 것이다"), ("wash", "washes", "washed"), categories=("food",)),
    Verb(("고친다", "고쳤다", "고칠 것이다"), ("fix", "fixes", "fixed"), categories=("device",)),
    Verb(
        ("판다", "팔았다", "팔 것이다"),
        ("sell", "sells", "sold"),
        categories=("food", "text", "thing", "device"),
    ),
    Verb(
        ("기다린다", "기다렸다", "기다릴 것이다"),
        ("wait for", "waits for", "waited for"),
        categories=("show", "sound"),
    ),
    Verb(
        ("닦는다", "닦았다", "닦을 것이다"),
        ("clean", "cleans", "cleaned"),
        categories=("thing", "device"),
    ),
]

TENSES = ("present", "past", "future")
# Time words and the tenses they agree with.
TIMES = [
    ("오늘", "today", TENSES),
    ("어제", "yesterday", ("past",)),
    ("내일", "tomorrow", ("future",)),
    ("매일", "every day", ("present",)),
]
PLACES = [
    ("집에서", "at home"),
    ("학교에서", "at school"),
    ("공원에서", "in the park"),
    ("카페에서", "at the cafe"),
    ("도서관에서", "in the library"),
    ("시장에서", "at the market"),
]


def combo_key(subject: str, verb: Verb) -> str:
    return f"{subject}|{verb.english[0]}"


def is_held_out(subject: str, verb: Verb, fraction: float, salt: int) -> bool:
    """A stable share of (subject, verb) pairs, the same on every machine and Python."""
    digest = hashlib.sha256(f"{salt}:{combo_key(subject, verb)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def english_verb(verb: Verb, tense: str, negated: bool) -> str:
    base, third, past = verb.english
    if tense == "future":
        return f"will not {base}" if negated else f"will {base}"
    if tense == "past":
        return f"did not {base}" if negated else past
    return f"does not {base}" if negated else third


def sentence_pair(rng: random.Random, subject: tuple[str, str], verb: Verb) -> tuple[str, str]:
    """One (Korean, English) pair for the given subject and verb, the rest drawn from ``rng``."""
    category = rng.choice(verb.categories)
    obj_ko, obj_en = rng.choice(OBJECTS[category])
    tense = rng.choice(TENSES)
    negated = rng.random() < 0.25
    ko_words = [with_particle(subject[0], rng.choice(("topic", "subject")))]
    en_tail: list[str] = []
    if rng.random() < 0.4:
        time_ko, time_en, _ = rng.choice([t for t in TIMES if tense in t[2]])
        ko_words.append(time_ko)
        en_tail.append(time_en)
    if rng.random() < 0.4:
        place_ko, place_en = rng.choice(PLACES)
        ko_words.append(place_ko)
        en_tail.insert(0, place_en)  # English: place before time
    adjective = rng.choice(ADJECTIVES[category]) if rng.random() < 0.35 else None
    if adjective:
        ko_words.append(adjective[0])
    ko_words.append(with_particle(obj_ko, "object"))
    if negated:
        ko_words.append("안")
    ko_words.append(verb.korean[TENSES.index(tense)])
    en_object = f"the {adjective[1]} {obj_en}" if adjective else f"the {obj_en}"
    english = " ".join(
        [f"The {subject[1]}", english_verb(verb, tense, negated), en_object, *en_tail]
    )
    return " ".join(ko_words) + ".", english + "."


def generate_pairs(
    n_train: int, n_eval: int, n_test: int, held_out: float, seed: int
) -> dict[str, list[tuple[str, str, str]]]:
    """{split: [(korean, english, combo)]}; eval/test use held-out (subject, verb) pairs only."""
    combos = [(s, v) for s in SUBJECTS for v in VERBS]
    unseen = [c for c in combos if is_held_out(c[0][0], c[1], held_out, seed)]
    seen = [c for c in combos if c not in unseen]
    if (n_eval or n_test) and not unseen:
        raise ValueError(f"held_out={held_out} leaves no (subject, verb) pair for eval/test")
    rng = random.Random(seed)
    out: dict[str, list[tuple[str, str, str]]] = {}
    for split, n, pool in (
        ("train", n_train, seen),
        ("eval", n_eval, unseen),
        ("test", n_test, unseen),
    ):
        rows = []
        for _ in range(n):
            subject, verb = rng.choice(pool)
            ko, en = sentence_pair(rng, subject, verb)
            rows.append((ko, en, combo_key(subject[0], verb)))
        if rows:
            out[split] = rows
    return out
