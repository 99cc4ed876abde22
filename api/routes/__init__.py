"""One blueprint per resource; `BLUEPRINTS` is what the app registers."""
from api.routes import auth, definitions, documents, instances, meta, tasks, units, users

BLUEPRINTS = (auth.bp, users.bp, units.bp, definitions.bp, instances.bp, tasks.bp,
              documents.bp, meta.bp)
