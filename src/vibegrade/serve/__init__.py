"""The online product loop: service, experiments."""
