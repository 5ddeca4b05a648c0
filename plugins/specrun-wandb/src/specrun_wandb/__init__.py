"""specrun-wandb. See README.md."""
