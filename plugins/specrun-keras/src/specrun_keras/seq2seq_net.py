"""The LSTM encoder-decoder network, its one-step decoder for inference, and greedy decoding.

Attention follows Luong et al. (2015): the decoder LSTM runs first, then its state h_t is
scored against every encoder state, the context c_t = sum(a_ts * enc_s) is concatenated
with h_t, and tanh(W [c_t; h_t]) predicts the next word. The ``attention`` param chooses
the score: ``bahdanau`` = v . tanh(W1 h_t + W2 enc_s) (additive, Bahdanau et al. 2015),
``luong`` = h_t . W enc_s (Luong's "general", multiplicative). Both use the same placement,
so a sweep over the param compares the scores and the gain over ``none`` (the decoder
sees only the encoder's final state), nothing else.

Training and inference share every layer: the training model consumes whole target
sequences (teacher forcing); the step model runs one token with explicit LSTM state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .runtime import keras_module
from .seq2seq_params import KerasSeq2SeqParams
from .vocab import BOS, EOS, PAD, UNK

keras = keras_module()
layers, ops = keras.layers, keras.ops


@dataclass
class Seq2SeqNets:
    train: Any  # [src, dec_in] -> logits (B, T, V)
    encoder: Any  # src -> [enc_out, h, c]
    step: Any  # [prev (B,1), h, c, enc_out, src_mask] -> [logits (B,1,V), h, c]


class _Layers:
    """The layers, created once and called by both graphs."""

    def __init__(self, p: KerasSeq2SeqParams, src_vocab: int, tgt_vocab: int, seed: int):
        self.p = p
        self.src_embed = layers.Embedding(src_vocab, p.embed_dim, mask_zero=True, name="src_embed")
        # No mask_zero on the target side: a mask would reach the logits and make Keras
        # re-weight the already masked loss; padding comes after </s> and is never attended.
        self.tgt_embed = layers.Embedding(tgt_vocab, p.embed_dim, name="tgt_embed")
        self.encoder = layers.LSTM(
            p.units, return_sequences=True, return_state=True, name="encoder"
        )
        self.decoder = layers.LSTM(
            p.units, return_sequences=True, return_state=True, name="decoder"
        )
        self.dropout = layers.Dropout(p.dropout, seed=seed) if p.dropout else None
        if p.attention == "bahdanau":
            self.query_proj = layers.Dense(p.units, use_bias=False, name="bahdanau_w1")
            self.key_proj = layers.Dense(p.units, use_bias=False, name="bahdanau_w2")
            self.attend = layers.AdditiveAttention(name="bahdanau")
        elif p.attention == "luong":
            self.key_proj = layers.Dense(p.units, use_bias=False, name="luong_general_w")
            self.attend = layers.Attention(name="luong")
        self.combine = layers.Dense(p.units, activation="tanh", name="attentional_state")
        self.logits = layers.Dense(tgt_vocab, name="logits")

    def _drop(self, x: Any) -> Any:
        return self.dropout(x) if self.dropout is not None else x

    def decode(
        self, dec_in: Any, state: list[Any], enc_out: Any, src_mask: Any
    ) -> tuple[Any, Any, Any]:
        h_seq, h, c = self.decoder(self._drop(self.tgt_embed(dec_in)), initial_state=state)
        if self.p.attention == "none":
            hidden = h_seq
        else:
            query = self.query_proj(h_seq) if self.p.attention == "bahdanau" else h_seq
            context = self.attend([query, enc_out, self.key_proj(enc_out)], mask=[None, src_mask])
            hidden = layers.Concatenate()([context, h_seq])
        return self.logits(self._drop(self.combine(hidden))), h, c


def build_networks(p: KerasSeq2SeqParams, src_vocab: int, tgt_vocab: int, seed: int) -> Seq2SeqNets:
    L = _Layers(p, src_vocab, tgt_vocab, seed)
    src = keras.Input((None,), dtype="int32", name="source")
    dec_in = keras.Input((None,), dtype="int32", name="target_in")
    src_mask = ops.not_equal(src, PAD)
    enc_out, h, c = L.encoder(L._drop(L.src_embed(src)))
    logits, _, _ = L.decode(dec_in, [h, c], enc_out, src_mask)
    train = keras.Model([src, dec_in], logits, name=f"seq2seq_{p.attention}")
    encoder = keras.Model(src, [enc_out, h, c], name="encoder")

    prev = keras.Input((1,), dtype="int32", name="prev")
    h_in, c_in = keras.Input((p.units,), name="h"), keras.Input((p.units,), name="c")
    enc_in = keras.Input((None, p.units), name="enc_out")
    mask_in = keras.Input((None,), dtype="bool", name="src_mask")
    step_logits, h_out, c_out = L.decode(prev, [h_in, c_in], enc_in, mask_in)
    step = keras.Model(
        [prev, h_in, c_in, enc_in, mask_in], [step_logits, h_out, c_out], name="step"
    )
    return Seq2SeqNets(train, encoder, step)


def masked_loss(y_true: Any, logits: Any) -> Any:
    """Cross-entropy per target token, averaged over real tokens only (not padding)."""
    mask = ops.cast(ops.not_equal(y_true, PAD), "float32")
    ce = keras.losses.sparse_categorical_crossentropy(y_true, logits, from_logits=True)
    return ops.sum(ce * mask) / ops.maximum(ops.sum(mask), 1.0)


def masked_accuracy(y_true: Any, logits: Any) -> Any:
    mask = ops.cast(ops.not_equal(y_true, PAD), "float32")
    hit = ops.cast(
        ops.equal(ops.cast(y_true, "int32"), ops.cast(ops.argmax(logits, axis=-1), "int32")),
        "float32",
    )
    return ops.sum(hit * mask) / ops.maximum(ops.sum(mask), 1.0)


def greedy_decode(nets: Seq2SeqNets, src: Any, max_len: int, batch_size: int) -> list[list[int]]:
    """Most likely next token, step by step, until every sentence has emitted </s>."""
    import numpy as np

    # Never emit padding, <s> or <unk>: the first two are not words and <unk> is a
    # useless guess that BLEU would count against the model anyway.
    banned = np.zeros((1, nets.step.outputs[0].shape[-1]), dtype=np.float32)
    banned[0, [PAD, BOS, UNK]] = -1e9
    results: list[list[int]] = []
    for start in range(0, len(src), batch_size):
        batch = src[start : start + batch_size]
        enc_out, h, c = nets.encoder(ops.convert_to_tensor(batch), training=False)
        enc_out = ops.copy(enc_out)  # drop the Keras mask riding on it: the step takes src_mask
        mask = ops.convert_to_tensor(batch != PAD)
        prev = np.full((len(batch), 1), BOS, dtype=np.int32)
        done = np.zeros(len(batch), dtype=bool)
        out = np.full((len(batch), max_len), EOS, dtype=np.int32)
        for t in range(max_len):
            logits, h, c = nets.step(
                [ops.convert_to_tensor(prev), h, c, enc_out, mask], training=False
            )
            nxt = (ops.convert_to_numpy(logits)[:, 0, :] + banned).argmax(axis=-1).astype(np.int32)
            nxt[done] = EOS
            out[:, t] = nxt
            done |= nxt == EOS
            if done.all():
                break
            prev = nxt[:, None]
        results.extend(row.tolist() for row in out)
    return results
