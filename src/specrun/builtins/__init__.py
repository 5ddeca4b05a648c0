"""Core's built-in plugin: registered through the same hook as any third-party plugin."""

from __future__ import annotations

from ..components import Component
from ..hookspecs import hookimpl
from .bow import BowSoftmaxParams
from .data import GeneratedTopicsParams, SqlParams, TableParams
from .metrics import AccuracyParams, MacroF1Params


@hookimpl
def register_components(register):
    register(Component("data", "table", TableParams, "specrun.builtins.data:TableSource"))
    register(Component("data", "sql", SqlParams, "specrun.builtins.data:SqlSource"))
    register(
        Component(
            "data",
            "generated_topics",
            GeneratedTopicsParams,
            "specrun.builtins.data:GeneratedTopics",
        )
    )
    register(Component("model", "bow_softmax", BowSoftmaxParams, "specrun.builtins.bow:BowSoftmax"))
    register(Component("metrics", "accuracy", AccuracyParams, "specrun.builtins.metrics:Accuracy"))
    register(Component("metrics", "macro_f1", MacroF1Params, "specrun.builtins.metrics:MacroF1"))
