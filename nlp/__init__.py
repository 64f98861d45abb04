"""Narcowatch NLP: spaCy components, lexicons and detectors for Russian and English drug markets."""
