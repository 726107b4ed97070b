"""Test doubles that are real servers, not mocks (the replay chat-completions server)."""
