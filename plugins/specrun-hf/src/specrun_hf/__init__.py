"""specrun-hf: Hugging Face seq2seq models, a from-scratch Transformer, the HF Trainer and
text-generation metrics for specrun. The registration module is ``specrun_hf.plugin``."""
