"""The REST API over a trained poly-encoder, against real PostgreSQL and MariaDB servers and
SQLite: the same tests for each backend."""

from __future__ import annotations

import copy

import pytest
from retrieval_testkit import reset_database

SERVER_FIXTURES = {"postgresql": "postgres_url", "mysql": "mysql_url"}


@pytest.fixture(params=["postgresql", "mysql", "sqlite"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'chatbot.sqlite'}"
    url = request.getfixturevalue(SERVER_FIXTURES[request.param])
    reset_database(url)
    return url


@pytest.fixture
def service(poly_bot, db_url):
    from specrun_retrieval.serving.db import ChatDatabase
    from specrun_retrieval.serving.service import ChatService

    db = ChatDatabase(db_url)
    # a private copy: the API changes the bot's pool, other tests share the session's bot
    svc = ChatService(copy.copy(poly_bot), db)
    yield svc
    db.close()


@pytest.fixture
def client(service):
    from fastapi.testclient import TestClient

    from specrun_retrieval.serving.app import create_app

    with TestClient(create_app(service)) as c:
        yield c


def test_health_and_openapi(client, service, poly_bot):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["model_kind"] == "poly_encoder"
    assert health["candidates"] == len(poly_bot.texts) and health["database"] == service.db.dialect
    doc = client.get("/openapi.json").json()
    assert {
        "/respond",
        "/responses",
        "/responses/{response_id}",
        "/conversations",
        "/conversations/{conversation_id}",
        "/health",
    } <= set(doc["paths"])
    assert (
        doc["components"]["schemas"]["RespondRequest"]["properties"]["context"]["maxLength"] == 2000
    )


def test_respond_ranks_and_logs_the_conversation(client, service):
    r = client.post("/respond", json={"context": "내일 부산 날씨 어때요?", "k": 3})
    assert r.status_code == 200
    body = r.json()
    scores = [c["score"] for c in body["responses"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    cid = body["conversation_id"]
    r2 = client.post("/respond", json={"context": "요즘 배가 살살 아파요.", "conversation_id": cid})
    assert r2.json()["conversation_id"] == cid and len(r2.json()["responses"]) == 1
    log = client.get(f"/conversations/{cid}").json()
    assert [t["context"] for t in log["turns"]] == [
        "내일 부산 날씨 어때요?",
        "요즘 배가 살살 아파요.",
    ]
    assert log["turns"][0]["response_text"] == body["responses"][0]["text"]
    listed = client.get("/conversations").json()
    assert listed[0]["conversation_id"] == cid and listed[0]["turns"] == 2


def test_conversations_list_newest_first_within_one_second(client, service):
    """Timestamps keep microseconds on every backend (MySQL's DATETIME drops them unless
    asked): two conversations a few milliseconds apart list newest first, not by id."""
    for cid in ("aaa-older", "zzz-newer"):
        assert client.post("/respond", json={"context": "안녕", "conversation_id": cid}).is_success
    listed = [c["conversation_id"] for c in client.get("/conversations").json()]
    assert listed == ["zzz-newer", "aaa-older"]


def test_text_outside_the_basic_plane_round_trips(client, service):
    """utf8mb4 on MySQL (its `utf8` holds three bytes a character and refuses emoji)."""
    text = "좋은 아침이에요 🌞 𠜎"
    new = client.post("/responses", json={"text": text}).json()
    assert client.get(f"/responses/{new['id']}").json()["text"] == text
    turn = client.post("/respond", json={"context": "🌞 아침 인사", "conversation_id": "emoji"})
    assert client.get("/conversations/emoji").json()["turns"][0]["context"] == "🌞 아침 인사"
    assert turn.is_success


def test_responses_crud_changes_answers_without_restart(client, service):
    context = "요즘 밤에 잠이 안 와요."
    top = client.post("/respond", json={"context": context}).json()["responses"][0]
    before = client.get("/health").json()["candidates"]

    assert client.delete(f"/responses/{top['id']}").status_code == 204
    assert client.get(f"/responses/{top['id']}").status_code == 404
    assert (
        client.post("/respond", json={"context": context}).json()["responses"][0]["id"] != top["id"]
    )

    added = client.post("/responses", json={"text": top["text"]})
    assert added.status_code == 201
    new = added.json()
    assert new["id"] != top["id"] and client.get("/health").json()["candidates"] == before
    # embedded on arrival and indexed at once: the same text is the best answer again
    assert (
        client.post("/respond", json={"context": context}).json()["responses"][0]["id"] == new["id"]
    )

    changed = client.put(
        f"/responses/{new['id']}", json={"text": "  푹 주무시고 따뜻한 우유를 드셔 보세요.  "}
    )
    assert (
        changed.status_code == 200
        and changed.json()["text"] == "푹 주무시고 따뜻한 우유를 드셔 보세요."
    )
    assert client.get(f"/responses/{new['id']}").json()["text"] == changed.json()["text"]
    page = client.get("/responses", params={"offset": 0, "limit": 5}).json()
    assert page["total"] == before and len(page["items"]) == 5


def test_pool_survives_a_restart(service, poly_bot, db_url):
    from specrun_retrieval.serving.db import ChatDatabase
    from specrun_retrieval.serving.service import ChatService

    row = service.add("이 답은 재시작 후에도 남아 있어야 해요.")
    again = ChatService(copy.copy(poly_bot), ChatDatabase(db_url))
    assert again.bot.texts[row.id] == row.text and row.id in again.bot.index
    assert len(again.db.embeddings(again.model_key)) == len(again.bot)  # reused, not re-embedded
    again.db.close()


BAD_REQUESTS = [
    ("post", "/respond", {"context": ""}, 422),
    ("post", "/respond", {"context": "   \n  "}, 422),
    ("post", "/respond", {"context": "가" * 2001}, 422),
    ("post", "/respond", {"context": 42}, 422),
    ("post", "/respond", {"context": ["안녕"]}, 422),
    ("post", "/respond", {"context": "안녕하세요", "k": 0}, 422),
    ("post", "/respond", {"context": "안녕하세요", "k": 51}, 422),
    ("post", "/respond", {"context": "안녕하세요", "k": "3"}, 422),
    ("post", "/respond", {"context": "안녕하세요", "conversation_id": "no spaces allowed"}, 422),
    ("post", "/respond", {"context": "안녕하세요", "temperature": 1}, 422),
    ("post", "/respond", None, 422),
    ("post", "/responses", {"text": ""}, 422),
    ("post", "/responses", {"text": "x" * 2001}, 422),
    ("post", "/responses", {"text": None}, 422),
    ("put", "/responses/999999", {"text": "없는 답"}, 404),
    ("put", "/responses/abc", {"text": "없는 답"}, 422),
    ("put", "/responses/1", {"text": 7}, 422),
    ("delete", "/responses/999999", None, 404),
    ("delete", "/responses/0", None, 422),
    ("get", "/responses/999999", None, 404),
    ("get", "/responses", {"limit": 0}, 422),
    ("get", "/conversations/nope", None, 404),
]


def test_bad_input_gets_a_clear_4xx_and_writes_nothing(client, service):
    client.post("/respond", json={"context": "안녕하세요"})
    responses, turns = service.db.count(), service.db.turn_count()
    first = service.db.get_response(1).text
    for method, path, payload, status in BAD_REQUESTS:
        if method == "get":
            r = client.get(path, params=payload)
        else:
            r = client.request(method.upper(), path, json=payload)
        assert r.status_code == status, (method, path, payload, r.text)
        detail = r.json()["detail"]
        assert detail, (method, path)
        if status == 422:  # pydantic says which field and why
            assert isinstance(detail, list) and detail[0]["loc"] and detail[0]["msg"]
    assert service.db.count() == responses and service.db.turn_count() == turns
    assert service.db.get_response(1).text == first
    assert len(service.bot) == responses
