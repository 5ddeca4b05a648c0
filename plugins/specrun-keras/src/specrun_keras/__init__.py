"""specrun-keras: TensorFlow/Keras kinds for specrun (LSTM seq2seq with attention, ResNet
image classifier, image data sources and image preprocessing/augmentation ops).

Importing this package imports no framework; see ``plugin`` for the registered kinds.
"""

__version__ = "0.1.0"
