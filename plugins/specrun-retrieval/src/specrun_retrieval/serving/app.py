"""The REST API (FastAPI): respond, candidate responses CRUD, conversation logs, health.

Request bodies are pydantic models, so bad input (empty or oversized text, wrong types,
unknown fields) is a 422 before any handler runs, and nothing is written. The OpenAPI
document is at /openapi.json, the interactive one at /docs.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from .service import ChatService

MAX_TEXT_CHARS = 2000
MAX_K = 50
# Offsets past this are refused (422): the databases take 64-bit offsets, and 2**63 was a 500.
MAX_OFFSET = 2**62
# Reachable without the token: the service's liveness and the API's own description.
OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"})


def _encodable(text: str) -> str:
    """JSON can carry a lone surrogate (``"\\ud800"``), which no database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (it holds a lone surrogate)") from None
    return text


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS),
    AfterValidator(_encodable),
]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
ConversationId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]
ResponseId = Annotated[int, Path(ge=1, le=2**62, description="response id")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RespondRequest(Strict):
    context: Text = Field(description="the conversation so far; earlier turns first, one per line")
    k: int = Field(1, ge=1, le=MAX_K, description="how many candidate responses to return")
    conversation_id: ConversationId | None = Field(
        None, description="continue a logged conversation"
    )


class Candidate(BaseModel):
    id: int
    text: str
    score: float


class RespondReply(BaseModel):
    conversation_id: str
    turn_id: int
    responses: list[Candidate]


class ResponseIn(Strict):
    text: Text


class ResponseOut(BaseModel):
    id: int
    text: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ResponsePage(BaseModel):
    total: int
    offset: int
    items: list[ResponseOut]


class Turn(BaseModel):
    id: int
    context: str
    response_id: int | None
    response_text: str | None
    score: float | None
    created_at: dt.datetime


class Conversation(BaseModel):
    conversation_id: str
    turns: list[Turn]


class ConversationSummary(BaseModel):
    conversation_id: str
    turns: int
    started_at: dt.datetime
    last_at: dt.datetime


class Health(BaseModel):
    status: str
    run_id: str | None
    model_kind: str
    candidates: int
    index: str
    database: str


def _out(row: object) -> ResponseOut:
    return ResponseOut.model_validate(row, from_attributes=True)


def create_app(service: ChatService, token: str | None = None) -> FastAPI:
    """The API; with ``token``, every path but OPEN_PATHS wants ``Authorization: Bearer TOKEN``."""
    app = FastAPI(
        title="specrun retrieval chatbot",
        version="1",
        description=f"Answers with the candidate responses that run {service.bot.run_id} "
        f"({service.bot.kind}) ranks highest.",
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own handler echoes the input as UTF-8, and a lone surrogate in it made
        # the 422 a 500: escaped JSON (ASCII) carries any input back.
        detail = jsonable_encoder(exc.errors())
        body = json.dumps({"detail": detail}, ensure_ascii=True, default=str)
        return Response(body, status_code=422, media_type="application/json")

    if token:
        expected = f"Bearer {token}".encode()

        @app.middleware("http")
        async def require_token(request: Request, call_next: Any) -> Any:
            given = request.headers.get("authorization", "").encode("utf-8", "replace")
            if request.url.path not in OPEN_PATHS and not secrets.compare_digest(given, expected):
                return JSONResponse(
                    {"detail": "missing or wrong token: send Authorization: Bearer TOKEN"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return await call_next(request)

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> dict:
        return service.health()

    @app.post("/respond", response_model=RespondReply, tags=["chat"])
    def respond(body: RespondRequest) -> RespondReply:
        reply = service.respond(body.context, body.k, body.conversation_id)
        return RespondReply(
            conversation_id=reply.conversation_id,
            turn_id=reply.turn.id,
            responses=[Candidate(id=a.id, text=a.text, score=a.score) for a in reply.answers],
        )

    @app.get("/responses", response_model=ResponsePage, tags=["responses"])
    def list_responses(
        offset: Offset = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> ResponsePage:
        total, rows = service.db.list_responses(offset, limit)
        return ResponsePage(total=total, offset=offset, items=[_out(r) for r in rows])

    @app.get("/responses/{response_id}", response_model=ResponseOut, tags=["responses"])
    def get_response(response_id: ResponseId) -> ResponseOut:
        row = service.db.get_response(response_id)
        if row is None:
            raise HTTPException(404, f"no response with id {response_id}")
        return _out(row)

    @app.post("/responses", response_model=ResponseOut, status_code=201, tags=["responses"])
    def add_response(body: ResponseIn) -> ResponseOut:
        return _out(service.add(body.text))

    @app.put("/responses/{response_id}", response_model=ResponseOut, tags=["responses"])
    def update_response(response_id: ResponseId, body: ResponseIn) -> ResponseOut:
        row = service.update(response_id, body.text)
        if row is None:
            raise HTTPException(404, f"no response with id {response_id}")
        return _out(row)

    @app.delete("/responses/{response_id}", status_code=204, tags=["responses"])
    def delete_response(response_id: ResponseId) -> Response:
        if not service.delete(response_id):
            raise HTTPException(404, f"no response with id {response_id}")
        return Response(status_code=204)

    @app.get("/conversations", response_model=list[ConversationSummary], tags=["conversations"])
    def list_conversations(
        offset: Offset = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> list[ConversationSummary]:
        return [
            ConversationSummary(conversation_id=c, turns=n, started_at=first, last_at=last)
            for c, n, first, last in service.db.conversations(offset, limit)
        ]

    @app.get(
        "/conversations/{conversation_id}", response_model=Conversation, tags=["conversations"]
    )
    def get_conversation(conversation_id: Annotated[str, Path(max_length=64)]) -> Conversation:
        turns = service.db.conversation(conversation_id)
        if not turns:
            raise HTTPException(404, f"no conversation {conversation_id!r}")
        return Conversation(
            conversation_id=conversation_id,
            turns=[Turn.model_validate(t, from_attributes=True) for t in turns],
        )

    return app
