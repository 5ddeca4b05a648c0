"""`specrun ui`: a live, local, read-only web view of the run store.

Every request opens the store, reads and lets it go (``specrun.store.connection``), so a
run that is writing is never blocked; paging, filtering and downsampling happen in DuckDB.
"""


def __getattr__(name: str) -> str:
    """``__version__``: the installed distribution's, whose one source is its pyproject.toml
    (read on first use: looking it up costs a scan of sys.path)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("specrun-ui")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
