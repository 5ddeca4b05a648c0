"""specrun-retrieval: poly-, bi- and cross-encoders, faiss retrieval, REST serving, terminal chat.

Importing the package is light; ``plugin`` registers the kinds, everything else loads when
a run, ``specrun serve`` or ``specrun chat`` needs it.
"""


def __getattr__(name: str) -> str:
    """``__version__``: the installed distribution's, whose one source is its pyproject.toml
    (read on first use: looking it up costs a scan of sys.path)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("specrun-retrieval")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
