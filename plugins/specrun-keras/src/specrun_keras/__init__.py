"""specrun-keras: TensorFlow/Keras kinds for specrun (LSTM seq2seq with attention, ResNet
image classifier, image data sources and image preprocessing/augmentation ops).

Importing this package imports no framework; see ``plugin`` for the registered kinds.
"""


def __getattr__(name: str) -> str:
    """``__version__``: the installed distribution's, whose one source is its pyproject.toml
    (read on first use: looking it up costs a scan of sys.path)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("specrun-keras")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
