"""Templates of the generated dialogue sets: intents with slots, context and response forms.

A placeholder is ``{slot}``; ``{slot@1}`` takes the second ``|``-separated part of the slot
value (a symptom said one way by the user and named another way by the bot, so that
matching needs learning, not word overlap); ``{slot:은}`` appends the Korean particle that
fits the word's last syllable (은/는, 이/가, 을/를, 과/와, 으로/로, 이라면/라면).
"""

from __future__ import annotations

from typing import Any

Intent = dict[str, Any]

KO_OPENERS = [
    "안녕하세요.",
    "저기요.",
    "잠깐 물어볼 게 있어요.",
    "오늘 하루 정말 길었어요.",
    "혹시 시간 괜찮아요?",
    "좋은 아침이에요.",
    "있잖아요.",
    "하나만 여쭤볼게요.",
]

KO_INTENTS: list[Intent] = [
    {
        "slots": {
            "city": "서울 부산 대구 인천 광주 대전 제주 강릉 전주 수원 춘천 여수".split(),
            "when": "오늘 내일 모레 주말에 이번 주에 오후에 저녁에".split(),
        },
        "contexts": [
            "{when} {city} 날씨 어때요?",
            "{city}에 {when} 비 와요?",
            "{when} {city} 가는데 우산 챙겨야 할까요?",
            "{city} {when} 많이 추워요?",
        ],
        "responses": [
            "{city:은} {when} 대체로 맑을 거예요.",
            "{when} {city}에는 비 소식이 있어요. 우산 챙기세요.",
            "{city:은} {when} 쌀쌀하니까 겉옷 꼭 챙기세요.",
            "예보를 보니 {when} {city:은} 흐리고 바람이 불어요.",
        ],
    },
    {
        "slots": {
            "food": "김치찌개 된장찌개 비빔밥 떡볶이 삼겹살 냉면 "
            "칼국수 짜장면 초밥 치킨 불고기 순두부".split()
        },
        "contexts": [
            "배고파요. {food} 먹을까요?",
            "점심으로 {food} 괜찮을까요?",
            "{food} 맛있게 하는 집 알아요?",
            "오늘 저녁은 {food} 어때요?",
        ],
        "responses": [
            "{food} 좋죠! 든든하게 드세요.",
            "{food:이라면} 역 근처에 맛집이 있어요.",
            "{food:은} 언제 먹어도 맛있죠. 맛있게 드세요.",
            "저도 {food} 정말 좋아해요.",
        ],
    },
    {
        "slots": {"genre": "액션 공포 로맨스 코미디 애니메이션 스릴러 다큐멘터리 뮤지컬".split()},
        "contexts": [
            "주말에 볼 {genre} 영화 추천해 주세요.",
            "요즘 재미있는 {genre} 영화 있어요?",
            "{genre} 영화 보고 싶은데 뭐가 좋을까요?",
        ],
        "responses": [
            "{genre} 영화라면 이번 달 개봉작이 평이 좋아요.",
            "요즘 {genre} 영화 중에는 신작이 인기가 많아요.",
            "{genre:을} 좋아하시면 시리즈 첫 편부터 보세요.",
        ],
    },
    {
        "slots": {"place": "제주도 경주 여수 속초 강릉 전주 통영 안동 남해 단양".split()},
        "contexts": [
            "다음 달에 {place} 여행 가려고 해요.",
            "{place} 가면 뭐 해야 돼요?",
            "{place} 여행 코스 알려 주세요.",
        ],
        "responses": [
            "{place}에 가시면 바닷가 산책을 꼭 해 보세요.",
            "{place:은} 시장 구경이 정말 재미있어요.",
            "{place} 여행이라면 이틀 정도 잡으시는 게 좋아요.",
            "{place:은} 봄에 가면 특히 예뻐요.",
        ],
    },
    {
        "slots": {
            "symptom": [
                "머리가 지끈거려요|두통",
                "목이 따끔거려요|목감기",
                "배가 살살 아파요|배탈",
                "열이 펄펄 나요|고열",
                "기침이 멈추질 않아요|기침 감기",
                "밤에 잠이 안 와요|불면증",
                "허리가 뻐근해요|허리 통증",
                "눈이 너무 건조해요|안구 건조",
            ]
        },
        "contexts": [
            "요즘 {symptom}.",
            "어제부터 {symptom}. 어떡하죠?",
            "{symptom}. 병원에 가야 할까요?",
        ],
        "responses": [
            "{symptom@1:이} 계속되면 병원에 꼭 가 보세요.",
            "{symptom@1}에는 푹 쉬는 게 제일이에요.",
            "{symptom@1} 때문에 힘드시겠어요. 따뜻한 물 많이 드세요.",
        ],
    },
    {
        "slots": {
            "item": [
                "운동화",
                "노트북",
                "겨울 코트",
                "가방",
                "이어폰",
                "휴대폰",
                "자전거",
                "모니터",
            ]
        },
        "contexts": [
            "새 {item} 사려고 하는데 어디가 좋아요?",
            "{item} 하나 사고 싶어요.",
            "{item} 고를 때 뭘 봐야 해요?",
        ],
        "responses": [
            "{item:은} 온라인에서 할인할 때 사는 게 좋아요.",
            "{item:은} 직접 매장에서 보고 고르세요.",
            "{item:을} 고를 때는 후기를 꼭 읽어 보세요.",
        ],
    },
    {
        "slots": {"subject": "수학 영어 과학 역사 국어 코딩 화학 물리".split()},
        "contexts": [
            "다음 주에 {subject} 시험이 있어요.",
            "{subject} 공부가 너무 어려워요.",
            "{subject} 성적을 올리고 싶어요.",
        ],
        "responses": [
            "{subject:은} 매일 조금씩 복습하는 게 중요해요.",
            "{subject} 시험 잘 보실 거예요. 화이팅!",
            "{subject:은} 기출 문제부터 풀어 보세요.",
        ],
    },
    {
        "slots": {"sport": "요가 수영 등산 달리기 헬스 테니스 배드민턴 필라테스".split()},
        "contexts": [
            "운동을 시작하려는데 {sport} 어때요?",
            "요즘 {sport:을} 배우고 있어요.",
            "{sport} 하면 살 빠질까요?",
        ],
        "responses": [
            "{sport:은} 꾸준히만 하면 건강에 정말 좋아요.",
            "{sport:을} 하기 전에는 스트레칭을 충분히 하세요.",
            "{sport:은} 처음에는 일주일에 세 번 정도가 적당해요.",
        ],
    },
    {
        "slots": {"pet": "강아지 고양이 햄스터 앵무새 거북이 토끼".split()},
        "contexts": [
            "우리 {pet:이} 밥을 잘 안 먹어요.",
            "{pet:을} 키워 보고 싶어요.",
            "{pet} 산책은 얼마나 해야 해요?",
        ],
        "responses": [
            "{pet:이} 밥을 안 먹으면 동물병원에 데려가 보세요.",
            "{pet:은} 정말 사랑스러운 가족이 될 거예요.",
            "{pet:은} 매일 조금씩 같이 놀아 주는 게 좋아요.",
        ],
    },
    {
        "slots": {
            "dest": ["서울역", "공항", "시청", "강남역", "버스 터미널", "대학병원"],
            "way": "지하철 버스 택시".split(),
        },
        "contexts": [
            "{dest}까지 어떻게 가요?",
            "여기서 {dest} 가는 길 알려 주세요.",
            "{dest}에 제일 빨리 가려면요?",
        ],
        "responses": [
            "{dest}까지는 {way:으로} 가시는 게 제일 빨라요.",
            "{way:을} 타시면 {dest}까지 이십 분 걸려요.",
            "{dest} 가시려면 {way:이} 편해요.",
        ],
    },
    {
        "slots": {
            "day": "월요일 화요일 수요일 목요일 금요일 토요일".split(),
            "hour": "두 세 네 다섯 여섯".split(),
        },
        "contexts": [
            "{day} {hour} 시에 만날 수 있어요?",
            "{day}에 약속 잡아도 될까요?",
            "{day} 회의 시간 바꿀 수 있나요?",
        ],
        "responses": [
            "{day} {hour} 시 좋아요. 그때 봬요.",
            "{day:은} 일정이 있어서 다른 날은 어떠세요?",
            "네, {day}로 일정 옮겨 둘게요.",
        ],
    },
    {
        "slots": {"music": "발라드 힙합 재즈 클래식 케이팝 록 트로트".split()},
        "contexts": [
            "요즘 {music} 음악에 빠졌어요.",
            "{music} 노래 추천해 주세요.",
            "공부할 때 {music} 들어도 될까요?",
        ],
        "responses": [
            "{music:은} 기분 전환에 정말 좋죠.",
            "{music} 좋아하시면 요즘 나온 앨범 꼭 들어 보세요.",
            "{music} 들으면서 하면 집중이 잘 될 거예요.",
        ],
    },
    {
        "slots": {
            "feeling": [
                "회사 일이 너무 많아요|업무",
                "친구랑 크게 싸웠어요|친구 문제",
                "시험을 망쳤어요|시험 결과",
                "이사 준비가 너무 힘들어요|이사",
                "면접에서 떨어졌어요|면접 결과",
            ]
        },
        "contexts": ["{feeling}.", "요즘 우울해요. {feeling}.", "{feeling}. 위로 좀 해 주세요."],
        "responses": [
            "{feeling@1} 때문에 많이 속상하셨겠어요.",
            "{feeling@1:은} 시간이 지나면 괜찮아질 거예요. 힘내세요.",
            "{feeling@1} 얘기, 천천히 더 들려주세요.",
        ],
    },
    {
        "slots": {"dish": "파스타 카레 김밥 잡채 미역국 계란말이".split()},
        "contexts": [
            "{dish} 만드는 법 알려 주세요.",
            "집에서 {dish} 해 먹고 싶어요.",
            "{dish:을} 처음 만들어 봐요.",
        ],
        "responses": [
            "{dish:은} 재료 손질만 잘하면 어렵지 않아요.",
            "{dish} 만들 때는 간을 마지막에 보세요.",
            "{dish:은} 레시피 영상 보면서 따라 하면 쉬워요.",
        ],
    },
]

EN_OPENERS = [
    "Hi there.",
    "Hello.",
    "Quick question.",
    "Sorry to bother you.",
    "Good morning.",
    "Hey, are you free?",
    "Long day today.",
    "Can I ask something?",
]

EN_INTENTS: list[Intent] = [
    {
        "slots": {
            "city": "London Paris Tokyo Seoul Berlin Madrid Chicago Toronto Sydney Rome".split(),
            "when": ["today", "tomorrow", "this weekend", "tonight", "next week"],
        },
        "contexts": [
            "What's the weather like in {city} {when}?",
            "Will it rain in {city} {when}?",
            "Should I bring an umbrella to {city} {when}?",
        ],
        "responses": [
            "{city} should be sunny {when}.",
            "Expect rain in {city} {when}, take an umbrella.",
            "It will be chilly in {city} {when}, bring a jacket.",
        ],
    },
    {
        "slots": {
            "food": "pizza sushi tacos ramen curry burgers pasta dumplings salad pancakes".split()
        },
        "contexts": [
            "I'm hungry, should we get {food}?",
            "Do you know a good place for {food}?",
            "How about {food} for dinner tonight?",
        ],
        "responses": [
            "{food} sounds great, enjoy your meal.",
            "There is a nice {food} place near the station.",
            "I love {food} too, good choice.",
        ],
    },
    {
        "slots": {
            "symptom": [
                "my head is pounding|headache",
                "my throat is scratchy|sore throat",
                "my stomach hurts|stomach ache",
                "I have a high temperature|fever",
                "I can't stop coughing|cough",
                "I can't fall asleep at night|insomnia",
            ]
        },
        "contexts": [
            "Lately {symptom}.",
            "Since yesterday {symptom}, what should I do?",
            "{symptom}, should I see a doctor?",
        ],
        "responses": [
            "If the {symptom@1} continues, please see a doctor.",
            "Rest is the best cure for a {symptom@1}.",
            "Sorry about the {symptom@1}, drink plenty of water.",
        ],
    },
    {
        "slots": {"genre": "action horror romance comedy animated thriller documentary".split()},
        "contexts": [
            "Can you recommend a {genre} movie?",
            "Any good {genre} films out lately?",
            "I want to watch a {genre} movie this weekend.",
        ],
        "responses": [
            "For {genre}, the new release this month has great reviews.",
            "If you like {genre}, start with the first film of the series.",
            "There is a popular {genre} movie in theaters now.",
        ],
    },
    {
        "slots": {"sport": "yoga swimming hiking running tennis cycling climbing boxing".split()},
        "contexts": [
            "I want to start {sport}, is it good?",
            "I've been doing {sport} lately.",
            "Will {sport} help me lose weight?",
        ],
        "responses": [
            "{sport} is great for your health if you keep it up.",
            "Stretch well before {sport} to avoid injuries.",
            "Try {sport} three times a week at first.",
        ],
    },
    {
        "slots": {"pet": "dog cat hamster parrot rabbit turtle".split()},
        "contexts": [
            "My {pet} is not eating.",
            "I'm thinking of getting a {pet}.",
            "How often should I play with my {pet}?",
        ],
        "responses": [
            "If your {pet} stops eating, take it to the vet.",
            "A {pet} will be a lovely part of the family.",
            "Play with your {pet} a little every day.",
        ],
    },
    {
        "slots": {"subject": "math English science history chemistry physics coding".split()},
        "contexts": [
            "I have a {subject} exam next week.",
            "{subject} is so hard for me.",
            "How can I get better at {subject}?",
        ],
        "responses": [
            "Review {subject} a little every day.",
            "Good luck on your {subject} exam, you can do it.",
            "Start {subject} with past exam questions.",
        ],
    },
    {
        "slots": {
            "item": [
                "sneakers",
                "a laptop",
                "a winter coat",
                "headphones",
                "a phone",
                "a bike",
                "a monitor",
            ]
        },
        "contexts": [
            "I want to buy {item}, where should I go?",
            "What should I look for in {item}?",
            "I need {item} soon.",
        ],
        "responses": [
            "Buy {item} online during a sale.",
            "Read the reviews before choosing {item}.",
            "Try {item} in a store before you buy it.",
        ],
    },
    {
        "slots": {
            "feeling": [
                "I have too much work|work",
                "I had a fight with my friend|your friend",
                "I failed my test|the test",
                "I didn't get the job|the job interview",
            ]
        },
        "contexts": ["{feeling}.", "I feel down. {feeling}.", "{feeling}, please cheer me up."],
        "responses": [
            "I'm sorry about {feeling@1}, that sounds hard.",
            "Things with {feeling@1} will get better, hang in there.",
            "Tell me more about {feeling@1} when you're ready.",
        ],
    },
    {
        "slots": {
            "dest": ["the airport", "the station", "city hall", "the museum", "the hospital"],
            "way": "subway bus taxi".split(),
        },
        "contexts": [
            "How do I get to {dest}?",
            "What's the fastest way to {dest}?",
            "Can you tell me the way to {dest}?",
        ],
        "responses": [
            "Take the {way} to {dest}, it's the fastest.",
            "The {way} gets you to {dest} in twenty minutes.",
            "To reach {dest}, the {way} is easiest.",
        ],
    },
]
