"""Text metrics for every text plugin, with no ML framework: a Keras, a retrieval or a
text-mining run scores BLEU without torch in its process (or in its environment)."""
