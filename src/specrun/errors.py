"""Errors meant for users: one clear message, exit code 2, never a traceback.

A traceback is for bugs; anything a user can fix by editing a spec, a file or a flag is a
``UserError``.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_MESSAGE = 4_000  # characters of one user error: a 200 MB one-line CSV was echoed whole
MAX_ISSUE = 1_000  # characters of one spec issue's message


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def names(items: list[str] | tuple[str, ...], most: int = 20, width: int = 60) -> str:
    """A short comma list of (column) names, each cut to ``width``, at most ``most`` of them."""
    shown = [clip(str(n), width) for n in list(items)[:most]]
    more = len(items) - most
    return ", ".join(shown) + (f", ... ({more} more)" if more > 0 else "")


class UserError(Exception):
    """Something the user can fix. The CLI prints ``str(err)`` and exits with 2."""

    exit_code = 2

    def __init__(self, *args: object) -> None:
        if args and isinstance(args[0], str):
            args = (clip(args[0], MAX_MESSAGE), *args[1:])
        super().__init__(*args)


class DataError(UserError):
    """Data that cannot be used: missing, empty, a missing column, one class only..."""


class ResourceError(UserError):
    """Resources asked for that the machine or cluster does not have."""


class StoreError(UserError):
    """The run store cannot be used as asked (missing, newer schema, unknown run id...)."""


@dataclass(frozen=True)
class SpecIssue:
    """One problem in a spec, located as precisely as we can."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        path = clip(self.path, 200) if self.path else "<spec>"
        return f"{where}: {path}: {clip(self.message, MAX_ISSUE)}"


class SpecError(UserError):
    """One or more problems in a spec; each names file, line, column and dotted path."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = list(issues)
        Exception.__init__(
            self, "\n".join(str(i) for i in self.issues)
        )  # each issue is cut already


def did_you_mean(word: str, candidates: list[str] | set[str] | tuple[str, ...]) -> str:
    """A ' (did you mean "x"?)' suffix when a candidate is close to ``word``."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted(candidates), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
