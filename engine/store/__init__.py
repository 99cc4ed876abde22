"""Persistence: SQLAlchemy tables, database connections and the unit of work."""
