"""Persistence: SQLAlchemy tables, the database engine, the unit of work and the audit trail."""
