"""specrun-yolo: ultralytics YOLO detection for specrun.

Kinds: model ``yolo``; data ``generated_detection``, ``yolo_folder``, ``coco``, ``voc``.
Importing this package imports nothing heavy; ultralytics loads when a run starts.
"""


def __getattr__(name: str) -> str:
    """``__version__``: the installed distribution's, whose one source is its pyproject.toml
    (read on first use: looking it up costs a scan of sys.path)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("specrun-yolo")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
