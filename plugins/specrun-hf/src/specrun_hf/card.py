"""The file specrun-hf writes next to every saved model: its format and decoding settings."""

MODEL_CARD = "specrun_hf.json"
