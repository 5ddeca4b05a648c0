"""`specrun serve RUN` and `specrun chat RUN`, added through the register_commands hook.

Only click is imported here: the plugin's registration module imports this file whenever
the CLI lists its commands. Everything heavy loads inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

INDEX_CHOICES = ["auto", "flat", "ivf", "hnsw", "numpy"]


def open_bot(run_ref: str, store: str | None) -> Any:
    """The run's RetrievalBot, or a UserError that says why this run cannot be served."""
    import specrun
    from specrun import UserError

    from ..kinds import MODEL_KINDS, model_kind

    row = specrun.open_store(store).run(run_ref)
    kind = model_kind(row)
    if kind not in MODEL_KINDS:
        raise UserError(
            f"run {row['run_id']} ({row['name']}) is not a retrieval model: its model kind is "
            f"{kind!r}; serve a run of {', '.join(MODEL_KINDS[:2])} or retrieve_and_rerank"
        )
    if row["status"] != "finished":
        raise UserError(
            f"run {row['run_id']} ({row['name']}) is {row['status']}, not finished: "
            "it saved no model"
        )
    if kind == "cross_encoder":
        raise UserError(
            f"run {row['run_id']} is a cross_encoder alone: it scores pairs but has no candidate "
            "index to answer from; train a retrieve_and_rerank model to serve one"
        )
    return specrun.load_model(row["run_id"], store)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


MIN_TOKEN_CHARS = 16


def serving_token(host: str, token: str | None, new_token: bool) -> str | None:
    """The token the API will want, or a UserError: beyond loopback, one is required."""
    import secrets

    from specrun import UserError

    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise UserError(
            f"--token must be at least {MIN_TOKEN_CHARS} characters (or use --new-token)"
        )
    if new_token:
        return secrets.token_urlsafe(24)
    if token is None and not is_loopback(host):
        raise UserError(
            f"refusing to serve on {host} without a token: the API adds, changes and deletes "
            "responses and returns the conversation log, to anyone who can reach the port. "
            "Pass --new-token (one is made and printed) or --token TOKEN (or SPECRUN_SERVE_TOKEN), "
            "or serve on 127.0.0.1"
        )
    return token


def default_db_url(store: str | None, run_id: str) -> str:
    from specrun.store.connection import store_path

    path = Path(store_path(store)).resolve().parent / f"chatbot-{run_id}.sqlite"
    return f"sqlite:///{path}"


@click.command()
@click.argument("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL of the chatbot database: sqlite:///bot.sqlite, "
    "postgresql+psycopg2://user@host/db, mysql+pymysql://user@host/db?charset=utf8mb4 "
    "(default: chatbot-RUN.sqlite beside the store)",
)
@click.option(
    "--index",
    "index_kind",
    type=click.Choice(INDEX_CHOICES),
    default="auto",
    show_default=True,
    help="candidate index; numpy is brute force, the baseline of the benchmark",
)
@click.option("--store", type=click.Path(dir_okay=False), default=None, help="run store")
@click.option(
    "--token",
    envvar="SPECRUN_SERVE_TOKEN",
    default=None,
    help="requests must send Authorization: Bearer TOKEN (required beyond 127.0.0.1)",
)
@click.option("--new-token", is_flag=True, help="make a random token and print it at start")
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    run: str,
    host: str,
    port: int,
    db_url: str | None,
    index_kind: str,
    store: str | None,
    token: str | None,
    new_token: bool,
    log_level: str,
) -> None:
    """Serve a retrieval run as a REST chatbot (OpenAPI document at /docs)."""
    import uvicorn
    from specrun import UserError
    from sqlalchemy.exc import ArgumentError, OperationalError

    from .app import create_app
    from .db import ChatDatabase
    from .service import ChatService

    token = serving_token(host, token, new_token)  # before the model loads: a refusal is quick
    bot = open_bot(run, store)
    url = db_url or default_db_url(store, bot.run_id)
    try:
        db = ChatDatabase(url)
    except ArgumentError as exc:
        raise UserError(f"--db {url!r} is not a database URL: {exc}") from None
    except OperationalError as exc:
        raise UserError(
            f"cannot open the database {url!r}: {str(exc.orig).strip().splitlines()[0]}"
        ) from None
    except ModuleNotFoundError as exc:
        raise UserError(f"--db {url!r} needs the driver {exc.name!r}: pip install it") from None
    service = ChatService(bot, db, index_kind)
    click.echo(
        f"serving run {bot.run_id} ({bot.kind}): {len(bot)} candidates, {bot.index.kind} index, "
        f"database {db.dialect}; http://{host}:{port}/docs",
        err=True,
    )
    if new_token:
        click.echo(f"token: {token}  (send the header Authorization: Bearer {token})", err=True)
    elif token:
        click.echo("requests must send the header Authorization: Bearer TOKEN", err=True)
    try:
        uvicorn.run(create_app(service, token), host=host, port=port, log_level=log_level)
    finally:
        db.close()


@click.command()
@click.argument("run")
@click.option(
    "-k", "k", default=1, show_default=True, type=click.IntRange(1, 20), help="answers per message"
)
@click.option(
    "--history",
    default=0,
    show_default=True,
    type=click.IntRange(0, 10),
    help="earlier messages kept in the context",
)
@click.option("--store", type=click.Path(dir_okay=False), default=None, help="run store")
def chat(run: str, k: int, history: int, store: str | None) -> None:
    """Talk to a retrieval run in the terminal (/quit or Ctrl-D ends, /k N sets answers)."""
    from .chat import ChatSession

    bot = open_bot(run, store)
    ChatSession(bot, k=k, history=history).loop()
