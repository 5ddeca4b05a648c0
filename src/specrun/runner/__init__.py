"""The run pipeline: the driver that records a run (``driver``), the worker side that
executes it (``worker``, ``engine``), data-parallel runs under Ray Train (``distributed``)
and where a run executed (``placement``). Imports nothing at package import."""
