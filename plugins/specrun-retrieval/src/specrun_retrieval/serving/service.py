"""What the REST API does, apart from HTTP: a bot whose candidate pool mirrors the database.

At start the pool is read from the database (seeded from the run's candidates when empty);
vectors come from the database's cache, else from the run's precomputed embeddings, else
from the model. Every change writes the database first and touches the index only once the
transaction has committed, so a failed request leaves both as they were.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..bot import Answer, RetrievalBot
from ..index import CandidateIndex, choose_kind
from .db import ChatDatabase, ConversationTurn, Response


@dataclass
class Reply:
    conversation_id: str
    answers: list[Answer]
    turn: ConversationTurn


class ChatService:
    def __init__(self, bot: RetrievalBot, db: ChatDatabase, index_kind: str = "auto"):
        self.bot, self.db = bot, db
        self.model_key = bot.run_id or "model"
        self.index_kind = index_kind
        self.write_lock = threading.Lock()  # one pool change at a time: DB and index stay in step
        self.sync_pool()

    def sync_pool(self) -> None:
        artifact_vectors = {
            self.bot.texts[i]: self.bot.index.vector(i)
            for i in self.bot.texts
            if i in self.bot.index
        }
        if self.db.count() == 0 and artifact_vectors:
            texts = list(artifact_vectors)
            vectors = np.stack([artifact_vectors[t] for t in texts])
            ids = self.db.seed(texts, vectors, self.model_key)
            rows = list(zip(ids, texts, strict=True))
        else:
            rows = self.db.all_responses()
            cached = self.db.embeddings(self.model_key)
            missing = [(i, t) for i, t in rows if i not in cached]
            fresh: dict[int, np.ndarray] = {
                i: artifact_vectors[t] for i, t in missing if t in artifact_vectors
            }
            to_embed = [(i, t) for i, t in missing if i not in fresh]
            if to_embed:
                fresh.update(
                    zip(
                        [i for i, _ in to_embed],
                        self.bot.embed([t for _, t in to_embed]),
                        strict=True,
                    )
                )
            self.db.save_embeddings(self.model_key, fresh)
            cached.update(fresh)
            vectors = (
                np.stack([cached[i] for i, _ in rows])
                if rows
                else np.zeros((0, self.bot.index.dim), np.float32)
            )
        opts = self.bot.retriever.params.index
        kind = choose_kind(
            self.index_kind if self.index_kind != "auto" else opts.type, len(rows), opts.large_pool
        )
        index = CandidateIndex(
            self.bot.index.dim,
            kind,
            nlist=opts.nlist,
            nprobe=opts.nprobe,
            hnsw_m=opts.hnsw_m,
            ef_search=opts.ef_search,
            ef_construction=opts.ef_construction,
            use_gpu=opts.gpu,
        )
        if rows:
            index.add(np.array([i for i, _ in rows]), vectors)
        with self.bot.lock:
            self.bot.index, self.bot.texts = index, dict(rows)

    # -- answering ---------------------------------------------------------------------------
    def respond(self, context: str, k: int, conversation_id: str | None) -> Reply:
        answers = self.bot.respond(context, k)
        cid = conversation_id or uuid.uuid4().hex
        top = answers[0] if answers else None
        turn = self.db.log_turn(
            cid,
            context,
            top.id if top else None,
            top.text if top else None,
            top.score if top else None,
            self.model_key,
        )
        return Reply(cid, answers, turn)

    # -- the candidate pool ---------------------------------------------------------------------
    def add(self, text: str) -> Response:
        vector = self.bot.embed([text])[0]
        with self.write_lock:
            row = self.db.add_response(text, vector, self.model_key)
            self.bot.add(row.id, row.text, vector)
        return row

    def update(self, response_id: int, text: str) -> Response | None:
        vector = self.bot.embed([text])[0]
        with self.write_lock:
            row = self.db.update_response(response_id, text, vector, self.model_key)
            if row is not None:
                self.bot.add(row.id, row.text, vector)  # replaces the old vector
        return row

    def delete(self, response_id: int) -> bool:
        with self.write_lock:
            deleted = self.db.delete_response(response_id)
            if deleted:
                self.bot.remove(response_id)
        return deleted

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "run_id": self.bot.run_id,
            "model_kind": self.bot.kind,
            "candidates": len(self.bot),
            "index": self.bot.index.kind,
            "database": self.db.dialect,
        }
