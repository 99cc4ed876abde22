// The evaluation of the executors (the standard's section L): each step's working-time
// duration and how often it kept its limit, late and open-overdue tasks per role, and the
// last years side by side, as charts with their numbers, and the CSV export next to them.
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { roleLabel } from '../components/labels.js';
import { useResource } from '../components/useResource.js';
import { BarChart } from '../cockpit/BarChart.jsx';
import { TIME_ZONE, dateTime, number, t } from '../i18n/index.js';
import { setQuery } from '../router.jsx';

const YEARS_COMPARED = 3;
const COLORS = { onTime: '#1e6b34', late: '#a4161a', open: '#c2410c', median: '#0b4f8a', p90: '#7aa7d6' };
const HOUR = 3600;

function thisYear() {
  return Number(new Intl.DateTimeFormat('en', { timeZone: TIME_ZONE, year: 'numeric' }).format(new Date()));
}

/** The calendar year in Jakarta time, as the report's period. */
export function yearPeriod(year) {
  return { from: `${year}-01-01T00:00:00+07:00`, to: `${year + 1}-01-01T00:00:00+07:00` };
}

function byRole(steps) {
  const roles = {};
  for (const step of steps) {
    const row = (roles[step.role] ??= { on_time: 0, late: 0, open_overdue: 0 });
    row.on_time += step.on_time;
    row.late += step.late;
    row.open_overdue += step.open_overdue;
  }
  return roles;
}

const hours = (seconds) => (seconds == null ? null : Math.round((seconds / HOUR) * 10) / 10);

export default function SlaPage({ query }) {
  const app = useApp();
  const current = thisYear();
  const year = Number(query.get('year')) || current;
  const report = useResource(async () => {
    const years = Array.from({ length: YEARS_COMPARED }, (_, i) => year - YEARS_COMPARED + 1 + i);
    const reports = await Promise.all(years.map((y) => engine.slaReport(yearPeriod(y))));
    return { years, reports, main: reports[reports.length - 1] };
  }, [year]);

  const data = report.data;
  const steps = data?.main.steps || [];
  const roles = byRole(steps);
  const stepLabels = steps.map((s) => s.name);
  const roleNames = Object.keys(roles);
  return (
    <section>
      <h1>{t('sla.title')}</h1>
      <p class="muted">{t('sla.intro')}</p>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="sla-year">{t('cockpit.year')}</label>
          <select id="sla-year" value={year} onChange={(event) => setQuery({ year: event.currentTarget.value })}>
            {Array.from({ length: 6 }, (_, i) => current - i).map((y) => <option key={y} value={y}>{y}</option>)}
          </select>
        </div>
        <div class="actions-row">
          <button type="button" class="button button-small" onClick={() => engine.slaCsv(yearPeriod(year), 'steps')}>{t('sla.csvSteps')}</button>
          <button type="button" class="button button-small" onClick={() => engine.slaCsv(yearPeriod(year), 'breaches')}>{t('sla.csvBreaches')}</button>
        </div>
      </form>
      {report.error && <Message kind="error">{t('error.generic', { detail: report.error.message })}</Message>}
      {!data && !report.error && <p aria-busy="true">{t('app.loading')}</p>}
      {data && steps.length === 0 && <p class="empty">{t('sla.empty', { year })}</p>}
      {data && steps.length > 0 && (
        <>
          <div class="charts">
            <section class="panel" aria-labelledby="chart-steps">
              <h2 id="chart-steps">{t('sla.byStep')}</h2>
              <BarChart testId="chart-steps-canvas" label={t('sla.byStep')} labels={stepLabels} stacked datasets={[
                { label: t('sla.onTime'), data: steps.map((s) => s.on_time), color: COLORS.onTime },
                { label: t('sla.late'), data: steps.map((s) => s.late), color: COLORS.late },
                { label: t('sla.openOverdue'), data: steps.map((s) => s.open_overdue), color: COLORS.open }]} />
            </section>
            <section class="panel" aria-labelledby="chart-durations">
              <h2 id="chart-durations">{t('sla.durations')}</h2>
              <BarChart testId="chart-durations-canvas" label={t('sla.durations')} labels={stepLabels} unit={t('sla.hours')} datasets={[
                { label: t('sla.median'), data: steps.map((s) => hours(s.median_s)), color: COLORS.median },
                { label: t('sla.p90'), data: steps.map((s) => hours(s.p90_s)), color: COLORS.p90 }]} />
            </section>
            <section class="panel" aria-labelledby="chart-roles">
              <h2 id="chart-roles">{t('sla.byRole')}</h2>
              <BarChart testId="chart-roles-canvas" label={t('sla.byRole')} labels={roleNames.map((r) => roleLabel(r, app.units))} stacked datasets={[
                { label: t('sla.onTime'), data: roleNames.map((r) => roles[r].on_time), color: COLORS.onTime },
                { label: t('sla.late'), data: roleNames.map((r) => roles[r].late), color: COLORS.late },
                { label: t('sla.openOverdue'), data: roleNames.map((r) => roles[r].open_overdue), color: COLORS.open }]} />
            </section>
            <section class="panel" aria-labelledby="chart-years">
              <h2 id="chart-years">{t('sla.byYear')}</h2>
              <BarChart testId="chart-years-canvas" label={t('sla.byYear')} labels={data.years.map(String)} stacked datasets={[
                { label: t('sla.onTime'), data: data.reports.map((r) => r.steps.reduce((n, s) => n + s.on_time, 0)), color: COLORS.onTime },
                { label: t('sla.late'), data: data.reports.map((r) => r.steps.reduce((n, s) => n + s.late, 0)), color: COLORS.late },
                { label: t('sla.openOverdue'), data: data.reports.map((r) => r.steps.reduce((n, s) => n + s.open_overdue, 0)), color: COLORS.open }]} />
            </section>
          </div>
          <section class="panel" aria-labelledby="steps-table">
            <h2 id="steps-table">{t('sla.table')}</h2>
            <table class="records">
              <thead><tr>
                <th scope="col">{t('sla.step')}</th><th scope="col">{t('task.queue')}</th><th scope="col">{t('sla.completed')}</th>
                <th scope="col">{t('sla.onTime')}</th><th scope="col">{t('sla.late')}</th><th scope="col">{t('sla.openOverdue')}</th>
                <th scope="col">{t('sla.median')}</th><th scope="col">{t('sla.p90')}</th>
              </tr></thead>
              <tbody>
                {steps.map((s) => (
                  <tr key={`${s.process_id}:${s.element_id}:${s.role}`}>
                    <td data-label={t('sla.step')}>{s.name}</td>
                    <td data-label={t('task.queue')}>{roleLabel(s.role, app.units)}</td>
                    <td data-label={t('sla.completed')}>{number(s.completed)}</td>
                    <td data-label={t('sla.onTime')}>{number(s.on_time)}</td>
                    <td data-label={t('sla.late')}>{number(s.late)}</td>
                    <td data-label={t('sla.openOverdue')}>{number(s.open_overdue)}</td>
                    <td data-label={t('sla.median')}>{s.median_s == null ? '—' : `${number(hours(s.median_s))} ${t('sla.h')}`}</td>
                    <td data-label={t('sla.p90')}>{s.p90_s == null ? '—' : `${number(hours(s.p90_s))} ${t('sla.h')}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {data.main.breaches.length > 0 && (
            <section class="panel" aria-labelledby="breaches-table">
              <h2 id="breaches-table">{t('sla.breaches', { count: number(data.main.breaches.length) })}</h2>
              <table class="records">
                <thead><tr>
                  <th scope="col">{t('sla.step')}</th><th scope="col">{t('task.queue')}</th><th scope="col">{t('sla.holder')}</th>
                  <th scope="col">{t('col.due')}</th><th scope="col">{t('sla.lateBy')}</th>
                </tr></thead>
                <tbody>
                  {data.main.breaches.map((b) => (
                    <tr key={b.task_id}>
                      <td data-label={t('sla.step')}>{b.name}{b.open && <span class="muted"> ({t('sla.stillOpen')})</span>}</td>
                      <td data-label={t('task.queue')}>{roleLabel(b.role, app.units)}</td>
                      <td data-label={t('sla.holder')}>{b.holder || t('task.unassigned')}</td>
                      <td data-label={t('col.due')}>{dateTime(b.due_at)}</td>
                      <td data-label={t('sla.lateBy')}>{number(hours(b.late_by_s))} {t('sla.h')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
        </>
      )}
    </section>
  );
}
