"""specrun-tensorboard. See README.md."""
