"""Light-weight validators for contact identifiers found in untrusted text.

Every module here is pure Python plus small dependencies (``base58``, ``pycryptodome``, ``phonenumbers``);
nothing imports spaCy, so the crawler can use :mod:`nlp.validators.onion` cheaply.
"""
