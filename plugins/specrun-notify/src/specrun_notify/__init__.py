"""specrun-notify. See README.md."""
