"""Hyperparameter sweeps: ``specrun sweep``.

``driver.run_sweep`` plans the trials (``space``), records the sweep in the ``sweeps`` table
(``store``), runs them as Tune trials (``tune`` on the driver, ``trial`` in the workers) while
``record`` writes their runs, and ends with the best trial. ``commands`` holds the CLI's
``sweep`` and ``cv`` commands. Importing this package imports nothing;
``from specrun.sweep.driver import run_sweep``.
"""
