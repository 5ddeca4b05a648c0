"""specrun-retrieval: poly-, bi- and cross-encoders, faiss retrieval, REST serving, terminal chat.

Importing the package is light; ``plugin`` registers the kinds, everything else loads when
a run, ``specrun serve`` or ``specrun chat`` needs it.
"""

__version__ = "0.1.0"
