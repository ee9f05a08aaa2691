"""Shipped models (installed as complaint_nlp._models). See models/README.md."""
