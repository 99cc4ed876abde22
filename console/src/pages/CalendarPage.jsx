// The working calendar (admin): a year's closed days (the committed file's holidays and the
// administrators' additions); close a day, or open one again. Due dates count in it.
import { useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { Message } from '../components/Banner.jsx';
import { useResource } from '../components/useResource.js';
import { AdminTabs, attempt } from '../cockpit/AdminTabs.jsx';
import { dateOnly, t } from '../i18n/index.js';
import { setQuery } from '../router.jsx';

const KINDS = ['office', 'national', 'collective_leave'];

export default function CalendarPage({ query }) {
  const thisYear = new Date().getFullYear();
  const year = Number(query.get('year')) || thisYear;
  const calendar = useResource(() => engine.calendarYear(year), [year]);
  const [day, setDay] = useState({ date: '', name: '', kind: 'office' });
  const [outcome, setOutcome] = useState(null);
  const done = (action, text) => attempt(async () => { await action(); calendar.reload(); }, setOutcome, text);
  const close = (event) => {
    event.preventDefault();
    done(() => engine.setCalendarDay(day.date, { closed: true, name: day.name, kind: day.kind }), t('calendar.closed', { date: day.date }));
  };
  return (
    <section>
      <h1>{t('admin.calendar')}</h1>
      <AdminTabs active="calendar" />
      <div class="filters">
        <div class="field">
          <label for="calendar-year">{t('cockpit.year')}</label>
          <select id="calendar-year" value={year} onChange={(event) => setQuery({ year: event.currentTarget.value })}>
            {[thisYear - 1, thisYear, thisYear + 1].map((y) => <option key={y} value={y}>{y}</option>)}
          </select>
        </div>
      </div>
      {outcome && <Message kind={outcome.kind}>{outcome.text}</Message>}
      <form class="panel" onSubmit={close} aria-labelledby="close-day">
        <h2 id="close-day">{t('calendar.closeDay')}</h2>
        <div class="filters">
          <div class="field"><label for="day-date">{t('calendar.date')}</label>
            <input id="day-date" type="date" required value={day.date} onInput={(event) => setDay({ ...day, date: event.currentTarget.value })} /></div>
          <div class="field field-grow"><label for="day-name">{t('calendar.name')}</label>
            <input id="day-name" required value={day.name} onInput={(event) => setDay({ ...day, name: event.currentTarget.value })} /></div>
          <div class="field"><label for="day-kind">{t('calendar.kind')}</label>
            <select id="day-kind" value={day.kind} onChange={(event) => setDay({ ...day, kind: event.currentTarget.value })}>
              {KINDS.map((k) => <option key={k} value={k}>{t(`calendar.kind.${k}`)}</option>)}
            </select></div>
          <button type="submit" class="button">{t('calendar.close')}</button>
        </div>
      </form>
      {calendar.error && <Message kind="error">{t('error.generic', { detail: calendar.error.message })}</Message>}
      {calendar.data && (
        <section class="panel" aria-labelledby="closed-days">
          <h2 id="closed-days">{t('calendar.closedDays', { year })}</h2>
          <p class="muted small">{t('calendar.hours', { from: calendar.data.working_hours.start, to: calendar.data.working_hours.end, zone: calendar.data.timezone })}</p>
          <table class="records">
            <thead><tr>
              <th scope="col">{t('calendar.date')}</th><th scope="col">{t('calendar.name')}</th>
              <th scope="col">{t('calendar.source')}</th><th scope="col">{t('col.actions')}</th>
            </tr></thead>
            <tbody>
              {calendar.data.closed_days.map((d) => (
                <tr key={d.date} data-date={d.date}>
                  <td data-label={t('calendar.date')}>{dateOnly(`${d.date}T12:00:00+07:00`)}</td>
                  <td data-label={t('calendar.name')}>{d.name} <span class="muted small">({t(`calendar.kind.${d.kind}`)})</span></td>
                  <td data-label={t('calendar.source')}>{t(`calendar.source.${d.source}`)}</td>
                  <td data-label={t('col.actions')}>
                    <button type="button" class="button button-small"
                      onClick={() => done(() => (d.source === 'admin' ? engine.resetCalendarDay(d.date) : engine.setCalendarDay(d.date, { closed: false })), t('calendar.reopened', { date: d.date }))}>
                      {t('calendar.reopen', { date: d.date })}</button>
                  </td>
                </tr>
              ))}
              {calendar.data.reopened_days.map((date) => (
                <tr key={date} data-date={date}>
                  <td data-label={t('calendar.date')}>{dateOnly(`${date}T12:00:00+07:00`)}</td>
                  <td data-label={t('calendar.name')}>{t('calendar.reopenedDay')}</td>
                  <td data-label={t('calendar.source')}>{t('calendar.source.admin')}</td>
                  <td data-label={t('col.actions')}>
                    <button type="button" class="button button-small" onClick={() => done(() => engine.resetCalendarDay(date), t('calendar.restored', { date }))}>
                      {t('calendar.restore', { date })}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </section>
  );
}
