"""specrun-hf-text: classification with k-fold ensembles, GPT-2 style generation, Korean
text preprocessing and augmentation. Components are registered in ``plugin``; heavy
modules (torch, transformers, gensim) load only when a run starts."""


def __getattr__(name: str) -> str:
    """``__version__``: the installed distribution's, whose one source is its pyproject.toml
    (read on first use: looking it up costs a scan of sys.path)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("specrun-hf-text")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
