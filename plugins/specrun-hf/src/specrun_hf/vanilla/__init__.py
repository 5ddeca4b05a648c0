"""The from-scratch encoder-decoder Transformer: model, decoding and its model kind."""
