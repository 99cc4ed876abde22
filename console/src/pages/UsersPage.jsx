// Users (admin): who may sign in with which roles; create one, change its roles, deactivate
// or activate it, set a new password.
import { useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { allRoles, roleLabel } from '../components/labels.js';
import { useResource } from '../components/useResource.js';
import { AdminTabs, attempt } from '../cockpit/AdminTabs.jsx';
import { t } from '../i18n/index.js';

function RoleChoice({ idPrefix, chosen, onChange, units, legend }) {
  const all = allRoles(units);
  const toggle = (role) => onChange(chosen.includes(role) ? chosen.filter((r) => r !== role) : [...chosen, role]);
  return (
    <fieldset class="role-choice">
      <legend>{legend}</legend>
      {all.map((role) => (
        <label key={role}>
          <input type="checkbox" id={`${idPrefix}-${role}`} checked={chosen.includes(role)} onChange={() => toggle(role)} />
          {' '}{roleLabel(role, Object.fromEntries(units.map((u) => [u.code, u.name])))}
        </label>
      ))}
    </fieldset>
  );
}

function UserRow({ user, units, onDone, report }) {
  const [roles, setRoles] = useState(user.roles);
  const [password, setPassword] = useState('');
  const [open, setOpen] = useState(false);
  const save = (changes, text) => attempt(async () => { await engine.updateUser(user.username, changes); onDone(); }, report, text);
  return (
    <tr data-username={user.username}>
      <td data-label={t('users.username')}>{user.username}<div class="muted small">{user.full_name}</div></td>
      <td data-label={t('users.roles')}>
        {user.roles.map((r) => roleLabel(r, Object.fromEntries(units.map((u) => [u.code, u.name])))).join(', ')}
        {open && (
          <div>
            <RoleChoice idPrefix={`roles-${user.username}`} chosen={roles} onChange={setRoles} units={units} legend={t('users.rolesOf', { name: user.username })} />
            <button type="button" class="button button-small" onClick={() => save({ roles }, t('users.saved', { name: user.username }))}>{t('users.saveRoles')}</button>
          </div>
        )}
      </td>
      <td data-label={t('users.active')}>{user.active ? t('users.yes') : t('users.no')}</td>
      <td data-label={t('col.actions')} class="actions">
        <div class="actions-row">
          <button type="button" class="button button-small" aria-expanded={open} onClick={() => setOpen(!open)}>{t('users.editRoles', { name: user.username })}</button>
          <button type="button" class="button button-small" onClick={() => save({ active: !user.active }, t('users.saved', { name: user.username }))}>
            {user.active ? t('users.deactivate', { name: user.username }) : t('users.activate', { name: user.username })}</button>
          <label class="visually-hidden" for={`password-${user.username}`}>{t('users.newPasswordOf', { name: user.username })}</label>
          <input id={`password-${user.username}`} type="password" autoComplete="new-password" value={password} placeholder={t('users.newPassword')}
            onInput={(event) => setPassword(event.currentTarget.value)} />
          <button type="button" class="button button-small" disabled={!password}
            onClick={() => save({ password }, t('users.passwordSet', { name: user.username })).then(() => setPassword(''))}>{t('users.setPassword')}</button>
        </div>
      </td>
    </tr>
  );
}

export default function UsersPage() {
  const app = useApp();
  const list = useResource(() => engine.users(), []);
  const [draft, setDraft] = useState({ username: '', full_name: '', password: '', roles: [] });
  const [outcome, setOutcome] = useState(null);
  const field = (name) => (event) => setDraft({ ...draft, [name]: event.currentTarget.value });
  const create = (event) => {
    event.preventDefault();
    attempt(async () => {
      await engine.createUser({ ...draft, full_name: draft.full_name || null });
      setDraft({ username: '', full_name: '', password: '', roles: [] });
      list.reload();
    }, setOutcome, t('users.created', { name: draft.username }));
  };
  return (
    <section>
      <h1>{t('admin.users')}</h1>
      <AdminTabs active="users" />
      {outcome && <Message kind={outcome.kind}>{outcome.text}</Message>}
      <form class="panel" onSubmit={create} aria-labelledby="new-user">
        <h2 id="new-user">{t('users.new')}</h2>
        <div class="filters">
          <div class="field"><label for="new-username">{t('users.username')}</label><input id="new-username" required value={draft.username} onInput={field('username')} autoComplete="off" /></div>
          <div class="field"><label for="new-fullname">{t('users.fullName')}</label><input id="new-fullname" value={draft.full_name} onInput={field('full_name')} /></div>
          <div class="field"><label for="new-password">{t('signIn.password')}</label><input id="new-password" type="password" required autoComplete="new-password" value={draft.password} onInput={field('password')} /></div>
        </div>
        <RoleChoice idPrefix="new-role" chosen={draft.roles} onChange={(roles) => setDraft({ ...draft, roles })} units={app.unitList} legend={t('users.roles')} />
        <button type="submit" class="button">{t('users.create')}</button>
      </form>
      {list.error && <Message kind="error">{t('error.generic', { detail: list.error.message })}</Message>}
      {list.data && (
        <table class="records">
          <thead><tr>
            <th scope="col">{t('users.username')}</th><th scope="col">{t('users.roles')}</th>
            <th scope="col">{t('users.active')}</th><th scope="col">{t('col.actions')}</th>
          </tr></thead>
          <tbody>
            {list.data.items.map((user) => <UserRow key={`${user.username}:${user.roles.join()}:${user.active}`} user={user} units={app.unitList} onDone={list.reload} report={setOutcome} />)}
          </tbody>
        </table>
      )}
    </section>
  );
}
