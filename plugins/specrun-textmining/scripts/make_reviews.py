"""Writes the shipped review set: src/specrun_textmining/data/reviews_ko.csv.

Korean food-delivery reviews from June to November 2023, labeled positive (rating 4-5) or
negative (rating 1-2). On 2023-09-01 the (fictional) app raised its delivery fee and
shipped a redesign: afterwards fewer reviews are positive and new complaints appear
(배달비, 앱 오류, 쿠폰). That is the seed use case: compare sentiment before and after.

The texts are composed from hand-written phrases, with mixed reviews ("맛은 좋은데 배달이
늦었어요"), negations ("짜지 않아요", "맛있지 않아요") and 4% of reviews whose text
disagrees with their rating, so that a classifier is good but not perfect. Deterministic:
rerunning this script reproduces the file byte for byte.

    python plugins/specrun-textmining/scripts/make_reviews.py
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "specrun_textmining" / "data" / "reviews_ko.csv"
EVENT = dt.date(2023, 9, 1)
START, END = dt.date(2023, 6, 1), dt.date(2023, 11, 30)
N_REVIEWS = 640

MENUS = [
    "치킨",
    "양념치킨",
    "피자",
    "짜장면",
    "짬뽕",
    "떡볶이",
    "족발",
    "보쌈",
    "김치찌개",
    "초밥",
    "햄버거",
    "마라탕",
    "국밥",
    "냉면",
    "돈까스",
    "삼겹살",
    "닭갈비",
    "파스타",
    "쌀국수",
    "순대국",
]

OPENERS = [
    "{menu} 주문했는데",
    "오늘 저녁으로 {menu} 시켰어요.",
    "{menu} 처음 시켜봤는데",
    "회사에서 점심으로 {menu} 먹었어요.",
    "비 오는 날 {menu} 배달시켰습니다.",
    "가족이랑 {menu} 먹으려고 주문했어요.",
    "야식으로 {menu} 시켰는데",
    "{menu} 재주문입니다.",
]

POSITIVE = [
    "음식이 따뜻하게 도착했어요",
    "양이 정말 푸짐해요",
    "맛이 기가 막혀요",
    "국물이 진하고 맛있어요",
    "튀김이 바삭바삭해요",
    "가격 대비 훌륭합니다",
    "포장이 꼼꼼하게 되어 있었어요",
    "배달이 생각보다 빨랐어요",
    "사장님이 친절하세요",
    "재료가 신선해요",
    "소스가 정말 맛있어요",
    "서비스로 음료도 챙겨주셨어요",
    "고기가 부드럽고 잡내가 없어요",
    "면이 쫄깃해요",
    "깔끔하고 정갈해요",
    "아이들도 잘 먹었어요",
    "간이 딱 맞아요",
    "짜지 않고 담백해요",
    "기름지지 않아서 좋아요",
    "양념이 골고루 배어 있어요",
    "김치가 맛있어요",
    "밥이 고슬고슬해요",
    "요청사항을 잘 들어주셨어요",
    "라이더분이 친절했어요",
    "생각했던 것보다 훨씬 맛있어요",
    "나쁘지 않아요 오히려 좋아요",
    "매콤해서 스트레스가 풀려요",
    "반찬도 정성스러워요",
]
NEGATIVE = [
    "음식이 다 식어서 왔어요",
    "양이 너무 적어요",
    "맛이 너무 짜요",
    "국물이 싱거워요",
    "튀김이 눅눅해요",
    "가격에 비해 별로예요",
    "포장이 엉망이라 국물이 샜어요",
    "배달이 한 시간 넘게 걸렸어요",
    "사장님이 불친절해요",
    "재료가 신선하지 않아요",
    "머리카락이 나왔어요",
    "주문한 메뉴가 빠졌어요",
    "고기가 질기고 냄새가 나요",
    "면이 불어서 왔어요",
    "기름이 너무 많아서 느끼해요",
    "맛있지 않아요",
    "간이 하나도 안 맞아요",
    "양념이 너무 달아요",
    "요청사항을 무시하셨어요",
    "라이더분이 연락도 없이 늦었어요",
    "사진이랑 너무 달라요",
    "밥이 딱딱하게 굳어 있었어요",
    "위생이 걱정돼요",
    "배가 아팠어요",
    "전혀 바삭하지 않아요",
    "먹다가 남겼어요",
    "돈이 아까워요",
]
# What changed on EVENT: new complaints, and the good reviews that still mention it.
EVENT_NEGATIVE = [
    "배달비가 너무 올랐어요",
    "배달비 인상 이후로 부담돼서 못 시키겠어요",
    "앱 업데이트 후 결제 오류가 나요",
    "개편된 앱이 너무 불편해요",
    "쿠폰 적용이 안 돼요",
    "최소주문금액이 올라서 억지로 더 시켰어요",
    "앱이 자꾸 멈춰요",
    "배달비 포함하면 가격이 너무 비싸요",
    "주문 내역이 앱에서 사라졌어요",
]
EVENT_POSITIVE = [
    "배달비는 올랐지만 맛은 여전해요",
    "앱이 바뀌어서 헷갈렸지만 음식은 좋았어요",
    "배달비가 아깝지 않은 맛이에요",
    "새 앱도 금방 익숙해졌어요",
]
CONTRAST = ["근데", "다만", "그래도", "그런데"]
POS_CLOSERS = [
    "다음에 또 시킬게요!",
    "단골 될 것 같아요 ㅎㅎ",
    "강력 추천합니다.",
    "최고예요!",
    "번창하세요~",
    "재주문 의사 있어요.",
    "친구한테도 추천했어요.",
]
NEG_CLOSERS = [
    "다시는 안 시킬 거예요.",
    "실망했어요 ㅠㅠ",
    "비추천합니다.",
    "돈 버렸네요.",
    "개선이 필요해 보여요.",
    "별점도 아까워요.",
    "다른 가게 갈게요.",
]


def _review(rng: random.Random, positive: bool, after: bool) -> str:
    parts = []
    if rng.random() < 0.45:
        parts.append(rng.choice(OPENERS).format(menu=rng.choice(MENUS)))
    own, other = (POSITIVE, NEGATIVE) if positive else (NEGATIVE, POSITIVE)
    phrases = rng.sample(own, rng.choice([1, 2, 2, 3]))
    if after and not positive and rng.random() < 0.55:
        phrases.insert(rng.randrange(len(phrases) + 1), rng.choice(EVENT_NEGATIVE))
    if after and positive and rng.random() < 0.2:
        phrases.append(rng.choice(EVENT_POSITIVE))
    if rng.random() < 0.2:  # a mixed review: one point against, the rest decides
        phrases.insert(1, f"{rng.choice(CONTRAST)} {rng.choice(other)}")
    parts.append(". ".join(phrases) + ".")
    if rng.random() < 0.5:
        parts.append(rng.choice(POS_CLOSERS if positive else NEG_CLOSERS))
    return " ".join(parts)


def make(rng: random.Random) -> list[dict[str, object]]:
    days = (END - START).days + 1
    rows = []
    for i in range(N_REVIEWS):
        date = START + dt.timedelta(days=rng.randrange(days))
        after = date >= EVENT
        positive = rng.random() < (0.45 if after else 0.72)
        rating = rng.choice([4, 5, 5]) if positive else rng.choice([1, 1, 2])
        # 4%: the text says the opposite of the rating (a slip, sarcasm, a wrong click).
        text_positive = positive if rng.random() >= 0.04 else not positive
        rows.append(
            {
                "review_id": i + 1,
                "date": date.isoformat(),
                "rating": rating,
                "label": "positive" if positive else "negative",
                "text": _review(rng, text_positive, after),
            }
        )
    rows.sort(key=lambda r: (r["date"], r["review_id"]))
    return rows


def main() -> None:
    rows = make(random.Random(2023))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["review_id", "date", "rating", "label", "text"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} reviews to {OUT}")


if __name__ == "__main__":
    main()
