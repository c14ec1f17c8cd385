"""The ASGI app and its edges: settings, app factory and lifespan, channel adapters, command line."""
