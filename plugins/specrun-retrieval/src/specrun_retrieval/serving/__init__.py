"""Serving a retrieval run: REST API (FastAPI + SQLAlchemy) and a terminal chat."""
