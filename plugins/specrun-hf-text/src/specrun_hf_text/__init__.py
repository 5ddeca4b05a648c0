"""specrun-hf-text: classification with k-fold ensembles, GPT-2 style generation, Korean
text preprocessing and augmentation. Components are registered in ``plugin``; heavy
modules (torch, transformers, gensim) load only when a run starts."""

__version__ = "0.1.0"
