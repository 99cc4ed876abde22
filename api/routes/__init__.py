"""One blueprint per resource; `BLUEPRINTS` is what the app registers."""
from api.routes import (
    auth,
    calendar,
    cockpit,
    console,
    definitions,
    deployments,
    documents,
    events,
    external_tasks,
    following,
    groups,
    history,
    instances,
    lkj_report,
    meta,
    public,
    reports,
    tasks,
    units,
    users,
)

BLUEPRINTS = (auth.bp, users.bp, groups.bp, units.bp, calendar.bp, deployments.bp, definitions.bp, instances.bp,
              history.bp, reports.bp, tasks.bp, documents.bp, following.bp, lkj_report.bp,
              public.bp, meta.bp, cockpit.bp, console.bp, events.bp,
              external_tasks.bp)
