"""`specrun chat`: a read-eval-print loop against a retrieval bot, as a person uses it."""

from __future__ import annotations

from typing import Any

import click

PROMPT = "you> "
HELP = (
    "type a message; /k N sets how many answers, /reset forgets the context, /quit or Ctrl-D ends"
)


class ChatSession:
    def __init__(self, bot: Any, k: int = 1, history: int = 0):
        self.bot, self.k, self.history = bot, k, history
        self.turns: list[str] = []  # earlier user messages and bot answers, oldest first

    def context(self, message: str) -> str:
        """Earlier turns first, one per line, as the training contexts are written."""
        earlier = self.turns[-self.history :] if self.history else []
        return "\n".join([*earlier, message])

    def handle(self, line: str) -> bool:
        """Answer one line; False ends the session."""
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/exit", "/q"):
            return False
        if text == "/help":
            click.echo(HELP)
        elif text == "/reset":
            self.turns.clear()
            click.echo("(context cleared)")
        elif text.startswith("/k"):
            arg = text[2:].strip()
            if arg.isdigit() and 1 <= int(arg) <= 20:
                self.k = int(arg)
                click.echo(f"(showing {self.k} answer{'s' if self.k > 1 else ''})")
            else:
                click.echo("usage: /k N with N from 1 to 20")
        elif text.startswith("/"):
            click.echo(f"unknown command {text.split()[0]!r}; {HELP}")
        else:
            answers = self.bot.respond(self.context(text), self.k)
            if not answers:
                click.echo("bot> (no candidate responses)")
            for rank, a in enumerate(answers, 1):
                prefix = "bot> " if rank == 1 else f"  {rank}. "
                click.echo(f"{prefix}{a.text}  " + click.style(f"[{a.score:.3f}]", dim=True))
            if answers:
                self.turns += [text, answers[0].text]
        return True

    def loop(self) -> None:
        bot = self.bot
        click.echo(f"chatting with run {bot.run_id} ({bot.kind}, {len(bot)} candidates); {HELP}")
        while True:
            try:
                line = input(PROMPT)
            except (EOFError, KeyboardInterrupt):
                click.echo()
                break
            if not self.handle(line):
                break
        click.echo("bye")
