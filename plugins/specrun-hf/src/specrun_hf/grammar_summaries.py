"""A deterministic generator of short Korean news items with one-sentence summaries.

A document reports an event (where, when, what, how many people, who organised it) in
shuffled order among filler sentences; the summary states where/when/what/how many in a
fixed form. A model has to find and copy the facts, which ROUGE then measures.
"""

from __future__ import annotations

import random

from .hangul import with_particle

CITIES = [
    "서울",
    "부산",
    "대구",
    "인천",
    "광주",
    "대전",
    "울산",
    "제주",
    "수원",
    "전주",
    "춘천",
    "포항",
]
EVENTS = [
    "축제",
    "마라톤 대회",
    "음악회",
    "전시회",
    "박람회",
    "영화제",
    "학술 대회",
    "공연",
    "체육 대회",
    "바자회",
    "요리 대회",
    "사진전",
]
DAYS = ["월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"]
ORGANISERS = ["시청", "구청", "문화 재단", "대학교", "상공회의소", "지역 협회", "청년 단체"]
OUTCOMES = [
    "큰 호응을 얻었다",
    "성황리에 마무리되었다",
    "예상보다 많은 관심을 받았다",
    "무사히 끝났다",
    "많은 시민의 사랑을 받았다",
]
FILLERS = [
    "행사장 주변에는 먹거리 장터도 마련되었다.",
    "주최 측은 안전 요원을 곳곳에 배치했다.",
    "일부 도로는 행사 동안 통제되었다.",
    "참가자들은 대체로 만족한다는 반응을 보였다.",
    "지역 상인들도 행사 덕분에 손님이 늘었다고 말했다.",
    "날씨가 맑아 야외 프로그램이 모두 진행되었다.",
    "가족 단위 방문객이 특히 많았다.",
    "행사 관계자는 준비 기간이 석 달 걸렸다고 설명했다.",
]


def summary_pair(rng: random.Random) -> tuple[str, str]:
    city, event, day = rng.choice(CITIES), rng.choice(EVENTS), rng.choice(DAYS)
    organiser, outcome = rng.choice(ORGANISERS), rng.choice(OUTCOMES)
    people = rng.randrange(100, 5000, 50)
    facts = [
        f"{day} {city}에서 {with_particle(event, 'subject')} 열렸다.",
        f"이번 {event}에는 시민 {people}명이 참가했다.",
        f"행사를 주최한 {with_particle(organiser, 'topic')} "
        f"이번 {with_particle(event, 'subject')} {outcome}고 밝혔다.",
    ]
    rest = facts[1:] + rng.sample(FILLERS, rng.randint(1, 3))
    rng.shuffle(rest)
    body = facts[:1] + rest
    summary = (
        f"{city}에서 {day} 열린 {with_particle(event, 'topic')} 시민 {people}명이 참가해 {outcome}."
    )
    return " ".join(body), summary


def generate_summaries(
    n_train: int, n_eval: int, n_test: int, seed: int
) -> dict[str, list[tuple[str, str]]]:
    rng = random.Random(seed)
    out: dict[str, list[tuple[str, str]]] = {}
    for split, n in (("train", n_train), ("eval", n_eval), ("test", n_test)):
        rows = [summary_pair(rng) for _ in range(n)]
        if rows:
            out[split] = rows
    return out
