"""K-fold cross-validation: ``specrun cv``.

``driver.run_cv`` runs the folds (as Ray actors, or in this process) and writes the parent
run; ``folds`` assigns rows to folds and gives each fold its data. Importing this package
imports nothing; ``from specrun.cv.driver import run_cv``.
"""
