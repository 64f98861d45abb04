"""Spiders: parse responses into items and requests, nothing else (no storage, no NLP)."""
