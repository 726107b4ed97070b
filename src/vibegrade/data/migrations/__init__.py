"""Alembic environment of the event store (run by :meth:`vibegrade.data.events.Database.migrate`)."""
