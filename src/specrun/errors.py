"""Errors meant for users: one clear message, exit code 2, never a traceback.

A traceback is for bugs; anything a user can fix by editing a spec, a file or a flag is a
``UserError``.
"""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """Something the user can fix. The CLI prints ``str(err)`` and exits with 2."""

    exit_code = 2


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
        path = self.path or "<spec>"
        return f"{where}: {path}: {self.message}"


class SpecError(UserError):
    """One or more problems in a spec; each names file, line, column and dotted path."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


def did_you_mean(word: str, candidates: list[str] | set[str] | tuple[str, ...]) -> str:
    """A ' (did you mean "x"?)' suffix when a candidate is close to ``word``."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted(candidates), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
