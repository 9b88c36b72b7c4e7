"""The dashboard's pages: each module has its path, component ids, ``layout`` and ``register``."""
