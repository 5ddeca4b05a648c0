"""The chatbot's relational database through SQLAlchemy: candidate responses, their cached
embeddings per model, and conversation logs. SQLite by default; PostgreSQL or MySQL by URL.

The database, not the run's artifacts, is the source of truth for the candidate pool while
serving: responses added through the API survive restarts, and the run's pool only seeds an
empty database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# MySQL's DATETIME keeps whole seconds unless given a precision: conversations a few
# milliseconds apart would tie, and "most recently active" would sort by id instead.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Tables hold 4-byte UTF-8 (emoji, rare Hanja) whatever the MySQL database's default charset.
MYSQL_TABLE = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


class Base(DeclarativeBase):
    pass


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = MYSQL_TABLE
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)


class ResponseEmbedding(Base):
    """A response's vector under one model (``model_key`` is the run id): a restart, or
    another run serving the same database, does not embed everything again."""

    __tablename__ = "response_embeddings"
    __table_args__ = MYSQL_TABLE
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    model_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class ConversationTurn(Base):
    """One exchange. The answer's text is copied: a log must not change when the response
    is edited or deleted later."""

    __tablename__ = "conversation_turns"
    __table_args__ = MYSQL_TABLE
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    context: Mapped[str] = mapped_column(Text, nullable=False)
    response_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_key: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        Timestamp, default=utcnow, nullable=False, index=True
    )


def make_engine(url: str) -> Any:
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool  # one in-memory database shared by every thread
        return create_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)


class ChatDatabase:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        Base.metadata.create_all(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed at the end, rolled back on any error."""
        with self.sessions() as s, s.begin():
            yield s

    # -- responses ----------------------------------------------------------------------------
    def count(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(Response)) or 0)

    def seed(
        self, texts: Sequence[str], vectors: np.ndarray, model_key: str, batch: int = 5000
    ) -> list[int]:
        """Insert a pool (with its vectors) into an empty database; returns the new ids."""
        ids: list[int] = []
        now = utcnow()
        with self.session() as s:
            for start in range(0, len(texts), batch):
                rows = [
                    {"text": t, "created_at": now, "updated_at": now}
                    for t in texts[start : start + batch]
                ]
                result = s.execute(
                    insert(Response).returning(Response.id, sort_by_parameter_order=True), rows
                )
                new = [int(r[0]) for r in result]
                s.execute(
                    insert(ResponseEmbedding),
                    [
                        {"response_id": i, "model_key": model_key, "vector": _blob(v)}
                        for i, v in zip(new, vectors[start : start + batch], strict=True)
                    ],
                )
                ids.extend(new)
        return ids

    def all_responses(self) -> list[tuple[int, str]]:
        with self.session() as s:
            return [
                (int(i), t)
                for i, t in s.execute(select(Response.id, Response.text).order_by(Response.id))
            ]

    def embeddings(self, model_key: str) -> dict[int, np.ndarray]:
        with self.session() as s:
            rows = s.execute(
                select(ResponseEmbedding.response_id, ResponseEmbedding.vector).where(
                    ResponseEmbedding.model_key == model_key
                )
            )
            return {int(i): np.frombuffer(v, dtype=np.float32) for i, v in rows}

    def save_embeddings(self, model_key: str, vectors: dict[int, np.ndarray]) -> None:
        if not vectors:
            return
        with self.session() as s:
            s.execute(
                insert(ResponseEmbedding),
                [
                    {"response_id": i, "model_key": model_key, "vector": _blob(v)}
                    for i, v in vectors.items()
                ],
            )

    def list_responses(self, offset: int, limit: int) -> tuple[int, list[Response]]:
        with self.session() as s:
            total = int(s.scalar(select(func.count()).select_from(Response)) or 0)
            items = list(
                s.scalars(select(Response).order_by(Response.id).offset(offset).limit(limit))
            )
            return total, items

    def get_response(self, response_id: int) -> Response | None:
        with self.session() as s:
            return s.get(Response, response_id)

    def add_response(self, text: str, vector: np.ndarray, model_key: str) -> Response:
        with self.session() as s:
            row = Response(text=text)
            s.add(row)
            s.flush()
            s.add(ResponseEmbedding(response_id=row.id, model_key=model_key, vector=_blob(vector)))
            return row

    def update_response(
        self, response_id: int, text: str, vector: np.ndarray, model_key: str
    ) -> Response | None:
        """New text and vector; other models' cached vectors of the old text are dropped."""
        with self.session() as s:
            row = s.get(Response, response_id, with_for_update=True)
            if row is None:
                return None
            row.text, row.updated_at = text, utcnow()
            s.execute(delete(ResponseEmbedding).where(ResponseEmbedding.response_id == response_id))
            s.add(
                ResponseEmbedding(
                    response_id=response_id, model_key=model_key, vector=_blob(vector)
                )
            )
            return row

    def delete_response(self, response_id: int) -> bool:
        with self.session() as s:
            s.execute(delete(ResponseEmbedding).where(ResponseEmbedding.response_id == response_id))
            return s.execute(delete(Response).where(Response.id == response_id)).rowcount > 0

    # -- conversations ----------------------------------------------------------------------------
    def log_turn(
        self,
        conversation_id: str,
        context: str,
        response_id: int | None,
        response_text: str | None,
        score: float | None,
        model_key: str,
    ) -> ConversationTurn:
        with self.session() as s:
            turn = ConversationTurn(
                conversation_id=conversation_id,
                context=context,
                response_id=response_id,
                response_text=response_text,
                score=score,
                model_key=model_key,
            )
            s.add(turn)
            s.flush()
            return turn

    def conversation(self, conversation_id: str) -> list[ConversationTurn]:
        with self.session() as s:
            return list(
                s.scalars(
                    select(ConversationTurn)
                    .where(ConversationTurn.conversation_id == conversation_id)
                    .order_by(ConversationTurn.id)
                )
            )

    def conversations(
        self, offset: int, limit: int
    ) -> list[tuple[str, int, dt.datetime, dt.datetime]]:
        """(conversation id, turns, first, last) of the most recently active conversations."""
        with self.session() as s:
            last = func.max(ConversationTurn.created_at)
            q = (
                select(
                    ConversationTurn.conversation_id,
                    func.count(),
                    func.min(ConversationTurn.created_at),
                    last,
                )
                .group_by(ConversationTurn.conversation_id)
                .order_by(last.desc(), ConversationTurn.conversation_id)
                .offset(offset)
                .limit(limit)
            )
            return [(c, int(n), first, latest) for c, n, first, latest in s.execute(q)]

    def turn_count(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(ConversationTurn)) or 0)


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()
