"""Alembic environment: the database URL comes from the caller (`lkj db upgrade`) or
`LKJ_DATABASE_URL`; the metadata is the engine's tables."""
from alembic import context

from engine.persistence.db import make_engine, normalise_url
from engine.persistence.tables import Base
from engine.settings import Settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url

if context.is_offline_mode():
    context.configure(url=normalise_url(url), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(url)
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=Base.metadata)
            with context.begin_transaction():
                context.run_migrations()
        engine.dispose()
    else:
        context.configure(connection=connectable, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
