"""`specrun ui`: a live, local, read-only web view of the run store.

Every request opens the store, reads and lets it go (``specrun.store.connection``), so a
run that is writing is never blocked; paging, filtering and downsampling happen in DuckDB.
"""

__version__ = "0.1.0"
