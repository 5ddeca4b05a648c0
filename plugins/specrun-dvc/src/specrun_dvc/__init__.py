"""specrun-dvc: the DVC provenance of a run's data files."""
