// A version of a process opened in the modeler: edit the diagram (or its XML), validate it
// on the server (its problems drawn on their elements and listed), deploy it as the next
// version. Validation asks the server's check (nothing stored); a deployment the server
// refuses stores nothing either and shows the same problems.
import { useRef, useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { useResource } from '../components/useResource.js';
import { BpmnModeler } from '../cockpit/BpmnModeler.jsx';
import { Findings, problemsOf } from '../cockpit/Findings.jsx';
import { t } from '../i18n/index.js';
import { Link, navigate } from '../router.jsx';

export default function ModelerPage({ params }) {
  const app = useApp();
  const { key } = params;
  const version = Number(params.version);
  const source = useResource(() => engine.versionXml(key, version), [key, version]);
  const api = useRef(null);
  const [problems, setProblems] = useState([]);
  const [warnings, setWarnings] = useState([]);
  const [outcome, setOutcome] = useState(null); // {kind, text}
  const [busy, setBusy] = useState(false);
  const [xmlText, setXmlText] = useState(null); // the XML tab's text while open
  const filename = source.data?.filename || `${key}.bpmn`;

  const currentFile = async () => new File([await api.current.xml()], filename, { type: 'application/xml' });

  const run = async (action) => {
    setBusy(true);
    setOutcome(null);
    try {
      await action();
    } catch (error) {
      const found = problemsOf(error);
      if (found) {
        setProblems(found);
        setOutcome({ kind: 'error', text: t('modeler.refused', { count: found.length }) });
      } else setOutcome({ kind: 'error', text: t('error.generic', { detail: error.message }) });
    } finally {
      setBusy(false);
    }
  };

  const validate = () => run(async () => {
    const answer = await engine.checkDiagrams([await currentFile()]);
    setProblems(answer.problems || []);
    setWarnings(answer.warnings || []);
    setOutcome(answer.problems?.length
      ? { kind: 'error', text: t('modeler.problems', { count: answer.problems.length }) }
      : { kind: 'success', text: t('modeler.valid') });
  });

  const deploy = () => run(async () => {
    const answer = await engine.deploy([await currentFile()]);
    setProblems([]);
    setWarnings(answer.warnings || []);
    const mine = answer.definitions.find((d) => d.key === key);
    if (mine && mine.created) {
      setOutcome({ kind: 'success', text: t('modeler.deployed', { version: mine.version }) });
      app.refreshShared();
      navigate(`/definitions/${encodeURIComponent(key)}/versions/${mine.version}`);
    } else setOutcome({ kind: 'info', text: t('modeler.unchanged') });
  });

  const openXml = async () => setXmlText(await api.current.xml());
  const applyXml = () => run(async () => {
    await api.current.importXml(xmlText);
    setXmlText(null);
  });

  return (
    <article>
      <p class="crumbs"><Link href="/definitions">{t('nav.definitions')}</Link></p>
      <h1>{t('modeler.title', { name: app.definitions[key] || key, version })}</h1>
      <p class="muted">{t('modeler.intro', { file: filename })}</p>
      {source.error && <Message kind="error">{t('error.generic', { detail: source.error.message })}</Message>}
      <div class="actions-row">
        <button type="button" class="button" disabled={busy || !source.data} onClick={validate}>{t('modeler.validate')}</button>
        <button type="button" class="button" disabled={busy || !source.data} onClick={deploy}>{t('modeler.deploy')}</button>
        {xmlText === null
          ? <button type="button" class="button button-quiet" disabled={!source.data} onClick={openXml}>{t('modeler.editXml')}</button>
          : <button type="button" class="button button-quiet" disabled={busy} onClick={applyXml}>{t('modeler.applyXml')}</button>}
      </div>
      {outcome && <Message kind={outcome.kind}>{outcome.text}</Message>}
      <Findings id="problems" title={t('modeler.problemList')} items={problems} onSelect={(id) => api.current?.select(id)} />
      <Findings id="warnings" title={t('modeler.warnings')} items={warnings} onSelect={(id) => api.current?.select(id)} />
      {xmlText !== null && (
        <div class="field">
          <label for="xml-text">{t('modeler.xml')}</label>
          <textarea id="xml-text" class="code" rows={18} value={xmlText} spellcheck={false}
            onInput={(event) => setXmlText(event.currentTarget.value)} />
        </div>
      )}
      <BpmnModeler xml={source.data?.text} problems={problems} label={t('modeler.canvas')}
        onReady={(ready) => { api.current = ready; }} />
    </article>
  );
}
