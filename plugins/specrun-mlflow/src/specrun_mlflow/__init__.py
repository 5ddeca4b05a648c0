"""Mirror specrun runs into a local MLflow tracking store. See README.md."""
