"""The `notebook` model kind: a Jupyter notebook executed with Papermill is the body of a run.

Loaded by every `specrun` command, so it imports only pydantic and specrun: papermill,
nbclient and the kernel start when a run does. Validation reads the notebook as JSON to
find its `parameters` cell, so a missing cell or a misspelt parameter is a spec error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationInfo, field_validator
from specrun import Component, ExistingFile, Params, hookimpl

from .cells import parameter_names


class NotebookParams(Params):
    """A Jupyter notebook run by Papermill: spec values fill its `parameters` cell."""

    path: ExistingFile = Field(description="the .ipynb to execute (relative to the spec)")
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="values for the names of the notebook's `parameters` cell (sweepable: "
        "model.parameters.lr)",
    )
    kernel: str | None = Field(
        None,
        description="a Jupyter kernel name; default: this Python (a kernelspec made in the "
        "run's temp dir, the user's Jupyter config untouched)",
    )
    cell_timeout: float | None = Field(600, gt=0, description="seconds a cell may run")
    start_timeout: float = Field(120, gt=0, description="seconds the kernel may take to start")
    html: bool = Field(True, description="also store the executed notebook as HTML (nbconvert)")

    @field_validator("path")
    @classmethod
    def _is_a_notebook(cls, path: Path) -> Path:
        parameter_names(path)  # ValueError: not a notebook, or no `parameters` cell
        return path

    @field_validator("parameters")
    @classmethod
    def _known_parameters(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        path = info.data.get("path")
        if path is None:  # the path already failed; that error is the one to read
            return value
        names = parameter_names(path)
        unknown = [k for k in value if k not in names]
        if unknown:
            import difflib

            hints = []
            for k in unknown:
                close = difflib.get_close_matches(k, names, n=1)
                hints.append(f"{k!r}" + (f' (did you mean "{close[0]}"?)' if close else ""))
            raise ValueError(
                f"the parameters cell of {Path(path).name} has no {', '.join(hints)}; "
                f"it sets: {', '.join(names) or 'nothing'}"
            )
        return value


@hookimpl
def register_components(register: Any) -> None:
    register(
        Component("model", "notebook", NotebookParams, "specrun_notebook.runner:NotebookModel")
    )
