"""``korean_headlines``: a generated Korean news-headline topic set, noisy the way crawled
headlines are (Hanja abbreviations, full-width Latin, [속보] tags, bylines, URLs), with
optional class imbalance and label noise. Deterministic for a seed."""

from __future__ import annotations

from typing import Any

from specrun import DataError, Dataset
from specrun.builtins.splits import split_frame

from specrun_textkit.korean import particle

# Topic -> (nouns, predicates). Seven topics, as in Korean news-topic benchmarks.
TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "정치": (
        "국회 대통령 여당 야당 선거 법안 장관 총리 개헌 의원 정당 청와대 국정감사 "
        "공천 탄핵 대선 지지율 원내대표 본회의 특검".split(),
        "통과 발의 표결 촉구 반발 합의 사퇴 출마".split(),
    ),
    "경제": (
        "경제 주가 금리 환율 물가 수출 투자 은행 증시 코스피 기업 부동산 채권 "
        "무역수지 성장률 소비 세금 예산 반도체주 실적".split(),
        "상승 하락 급등 급락 반등 둔화 회복 발표".split(),
    ),
    "사회": (
        "경찰 검찰 법원 사고 화재 재판 교육 학교 노조 시위 병원 환자 복지 "
        "주민 범죄 판결 수사 구속 지진 폭우".split(),
        "구속 기소 발생 조사 확산 대피 체포 선고".split(),
    ),
    "생활문화": (
        "영화 공연 전시 축제 여행 음식 드라마 음악 책 박물관 관광 패션 "
        "요리 배우 가수 미술관 뮤지컬 맛집 날씨 건강".split(),
        "개막 공개 인기 화제 개봉 출간 선보여 열려".split(),
    ),
    "세계": (
        "미국 중국 일본 북한 러시아 유럽 유엔 정상회담 외교 대사관 난민 "
        "전쟁 휴전 나토 영국 프랑스 독일 중동 백악관 관세".split(),
        "회담 경고 제재 협상 파견 비난 철수 합의".split(),
    ),
    "스포츠": (
        "축구 야구 농구 배구 선수 감독 리그 우승 올림픽 월드컵 득점 골 "
        "홈런 시즌 결승 대표팀 이적 경기 골프 마라톤".split(),
        "우승 승리 패배 역전 데뷔 은퇴 출전 완승".split(),
    ),
    "IT과학": (
        "AI 인공지능 반도체 스마트폰 우주 로봇 연구 과학 기술 5G 클라우드 "
        "데이터 유전자 위성 배터리 소프트웨어 앱 메타버스 양자 백신".split(),
        "개발 출시 공개 성공 도입 선보여 발사 확보".split(),
    ),
}

# Hangul word -> the Hanja a headline may print instead (single-syllable abbreviations are
# how Korean papers write countries and parties in headlines).
HANJA_FORMS = {
    "미국": "美",
    "중국": "中",
    "일본": "日",
    "북한": "北",
    "러시아": "露",
    "영국": "英",
    "프랑스": "佛",
    "독일": "獨",
    "여당": "與",
    "야당": "野",
    "청와대": "靑",
    "검찰": "檢",
    "주가": "株價",
    "경제": "經濟",
    "대통령": "大統領",
    "국회": "國會",
    "선거": "選擧",
    "금리": "金利",
    "물가": "物價",
    "수출": "輸出",
    "투자": "投資",
    "은행": "銀行",
    "법원": "法院",
    "재판": "裁判",
    "교육": "敎育",
    "외교": "外交",
    "전쟁": "戰爭",
    "야구": "野球",
    "축구": "蹴球",
    "감독": "監督",
    "우승": "優勝",
    "과학": "科學",
    "우주": "宇宙",
    "기술": "技術",
    "연구": "硏究",
    "영화": "映畵",
    "공연": "公演",
    "음악": "音樂",
    "여행": "旅行",
    "사고": "事故",
    "화재": "火災",
    "장관": "長官",
}
FULL_WIDTH = {"AI": "ＡＩ", "5G": "５Ｇ"}
SHARED = "오늘 올해 정부 첫 최대 논란 전망 우려 긴급 공식 결국 사상".split()
TAGS = ["[속보]", "[단독]", "(종합)", "<사진>", "[포토]", "【특징주】"]
BYLINES = ["홍길동 기자 hong@news.example.kr", "김민지 기자", "서울=연합뉴스"]


def _word(rng: Any, word: str, hanja: float) -> str:
    if word in HANJA_FORMS and rng.random() < hanja:
        return HANJA_FORMS[word]
    if word in FULL_WIDTH and rng.random() < hanja:
        return FULL_WIDTH[word]
    return word


def make_headline(
    rng: Any, topic: str, topics: list[str], difficulty: float, hanja: float, noise: float
) -> str:
    def noun(own: bool = True) -> str:
        src = topic if own and rng.random() >= difficulty else topics[rng.integers(len(topics))]
        nouns = TOPICS[src][0]
        return nouns[rng.integers(len(nouns))]

    def pred() -> str:
        src = topic if rng.random() >= difficulty else topics[rng.integers(len(topics))]
        preds = TOPICS[src][1]
        return preds[rng.integers(len(preds))]

    subject, obj = noun(), noun()
    shape = rng.integers(4)
    words: list[str]
    if shape == 0:
        words = [particle(_word(rng, subject, hanja), ("이", "가")), _word(rng, obj, hanja), pred()]
    elif shape == 1:
        words = [
            _word(rng, subject, hanja),
            f"{_word(rng, obj, hanja)}·{_word(rng, noun(), hanja)}",
            particle(pred(), ("을", "를")),
            SHARED[rng.integers(len(SHARED))],
        ]
    elif shape == 2:
        words = [
            SHARED[rng.integers(len(SHARED))],
            particle(_word(rng, subject, hanja), ("은", "는")),
            _word(rng, obj, hanja),
            pred() + "…",
            _word(rng, noun(False), hanja),
            pred(),
        ]
    else:
        words = [
            _word(rng, subject, hanja),
            particle(_word(rng, obj, hanja), ("에", "에")),
            f'"{_word(rng, noun(), hanja)} {pred()}"',
        ]
    text = " ".join(words)
    if rng.random() < noise:
        r = rng.random()
        if r < 0.5:
            text = f"{TAGS[rng.integers(len(TAGS))]} {text}"
        elif r < 0.8:
            text = f"{text} / {BYLINES[rng.integers(len(BYLINES))]}"
        else:
            text = f"{text} https://news.example.kr/article/{rng.integers(10**6)}"
    return text


def class_weights(n: int, imbalance: float) -> Any:
    """Geometric class sizes from 1 down to ``imbalance`` (the rarest relative to the largest)."""
    import numpy as np

    w = imbalance ** (np.arange(n) / max(n - 1, 1))
    return w / w.sum()


def check_folds(df: Any, ctx: Any) -> None:
    """With a stratified ``cv:`` section every class needs at least one row per fold."""
    cv = (getattr(ctx, "spec", None) or {}).get("cv") or {}
    if not cv or not cv.get("stratify"):
        return
    folds = int(cv.get("folds", 5))
    column = cv["stratify"]
    if column not in df.columns:
        raise DataError(
            f"cv.stratify {column!r} is not a column (columns: {', '.join(df.columns)})"
        )
    counts = df[column].value_counts()
    small = [(str(v), int(c)) for v, c in counts.iter_rows() if c < folds]
    if small:
        listed = ", ".join(f"{v!r} has {c}" for v, c in small)
        raise DataError(
            f"stratified {folds}-fold cv needs at least {folds} rows of every class in "
            f"{column!r}, but {listed}: lower cv.folds or add rows"
        )


class KoreanHeadlines:
    def __init__(self, params: Any):
        self.p = params

    def load(self, ctx: Any) -> Dataset:
        import numpy as np
        import polars as pl

        p = self.p
        seed = ctx.seed if p.seed is None else p.seed
        rng = np.random.default_rng(seed)
        topics = list(TOPICS)[: p.topics]
        probs = class_weights(len(topics), p.imbalance)
        labels = rng.choice(len(topics), size=p.rows, p=probs)
        texts = [
            make_headline(rng, topics[k], topics, p.difficulty, p.hanja, p.noise) for k in labels
        ]
        flip = rng.random(p.rows) < p.label_noise
        labels = np.where(flip, rng.integers(len(topics), size=p.rows), labels)
        df = pl.DataFrame(
            {
                "id": [f"h{i:06d}" for i in range(p.rows)],
                "text": texts,
                "label": [topics[k] for k in labels],
            }
        )
        if df["label"].n_unique() < 2:
            raise DataError(f"korean_headlines: {p.rows} rows gave one class only; raise rows")
        check_folds(df, ctx)
        splits = split_frame(df, p.split, seed)
        return Dataset(
            splits, meta={"labels": topics, "text": "text", "label": "label", "id": "id"}
        )
