"""The REST API: a thin adapter over the services."""
