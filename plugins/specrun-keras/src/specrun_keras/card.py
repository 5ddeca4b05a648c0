"""The file specrun-keras writes next to every saved model: which of its kinds, which format."""

MODEL_CARD = "specrun_keras.json"
