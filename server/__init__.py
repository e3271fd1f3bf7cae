"""Renshe terminal gateway: resident-data API, certificate issue and public verification (FastAPI)."""
