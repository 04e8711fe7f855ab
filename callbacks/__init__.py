"""One module per screen, each exposing ``register(app, runtime)``."""
