// bpmn-js's Modeler (bundled, loaded with the page): the diagram edited in place; beside
// it, the selected element's name and what the engine reads from it (engineProperties.js);
// the server's problems drawn on their elements. `api` (set through onReady) gives the page xml() and importXml().
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';
import camunda from 'camunda-bpmn-moddle/resources/camunda.json';
import { fieldsOf, readField, usesCamunda, writeField } from './engineProperties.js';
import spiffworkflow from './spiffworkflow.json';

let modelerModule = null;
function loadModeler() {
  modelerModule ??= import('bpmn-js/lib/Modeler');
  return modelerModule;
}

export function BpmnModeler({ xml, problems, onReady, onChange, label }) {
  const [lost, setLost] = useState([]); // what the import could not read (lost on saving)
  const container = useRef(null);
  const modeler = useRef(null);
  const [selected, setSelected] = useState(null); // {id, name, type}
  const [failure, setFailure] = useState(null);
  const [ready, setReady] = useState(false);
  const [camundaDialect, setCamundaDialect] = useState(false);

  useEffect(() => {
    let cancelled = false;
    loadModeler().then(({ default: Modeler }) => {
      if (cancelled || !container.current) return;
      const instance = new Modeler({ container: container.current, moddleExtensions: { spiffworkflow, camunda } });
      modeler.current = instance;
      const describe = (element) => element && element.type !== 'bpmn:Process' && element.type !== 'bpmn:Collaboration'
        ? { id: element.id, name: element.businessObject.name || '', type: element.type, element } : null;
      instance.on('selection.changed', ({ newSelection }) => setSelected(describe(newSelection[0])));
      instance.on('commandStack.changed', () => onChange?.());
      onReady({
        xml: async () => (await instance.saveXML({ format: true })).xml,
        importXml: (text) => instance.importXML(text).then(() => {
          setCamundaDialect(usesCamunda(instance.getDefinitions()));
          instance.get('canvas').zoom('fit-viewport', 'auto');
        }),
        select: (id) => {
          const element = instance.get('elementRegistry').get(id);
          if (element) instance.get('selection').select(element);
        },
      });
      setReady(true);
    }, setFailure);
    return () => {
      cancelled = true;
      modeler.current?.destroy();
      modeler.current = null;
    };
  }, []);

  useEffect(() => {
    if (!ready || !xml) return;
    modeler.current.importXML(xml).then(({ warnings }) => {
      setLost(warnings.map((w) => w.message));
      setCamundaDialect(usesCamunda(modeler.current.getDefinitions()));
      modeler.current.get('canvas').zoom('fit-viewport', 'auto');
      setFailure(null);
    }, setFailure);
  }, [ready, xml]);

  useEffect(() => {
    if (!ready) return;
    const overlays = modeler.current.get('overlays');
    const canvas = modeler.current.get('canvas');
    const registry = modeler.current.get('elementRegistry');
    overlays.remove({ type: 'lkj-problem' });
    registry.forEach((element) => canvas.removeMarker(element, 'lkj-invalid'));
    for (const problem of problems) {
      if (!problem.element_id || !registry.get(problem.element_id)) continue;
      canvas.addMarker(problem.element_id, 'lkj-invalid');
      const note = document.createElement('div');
      note.className = 'lkj-problem';
      note.dataset.elementId = problem.element_id;
      note.textContent = problem.message;
      overlays.add(problem.element_id, 'lkj-problem', { position: { bottom: -4, left: 0 }, html: note });
    }
  }, [ready, JSON.stringify(problems)]);

  const [, setRevision] = useState(0);
  const change = (field, value) => {
    writeField(modeler.current, selected.element, field, value);
    setRevision((n) => n + 1);
  };
  const rename = (name) => {
    const element = modeler.current?.get('elementRegistry').get(selected.id);
    if (!element) return;
    modeler.current.get('modeling').updateProperties(element, { name });
    setSelected({ ...selected, name });
  };

  return (
    <div class="diagram">
      <div class="modeler-canvas" ref={container} aria-label={label} data-testid="modeler" />
      {failure && <p class="error-text" role="alert">{String(failure.message || failure)}</p>}
      {lost.length > 0 && (
        <div class="banner banner-error" role="alert">
          <span>{t('modeler.lost')}<ul>{lost.map((m, i) => <li key={i}>{m}</li>)}</ul></span>
        </div>
      )}
      <div class="panel" aria-live="polite">
        {selected ? (
          <div class="properties" key={selected.id}>
            <div class="field">
              <label for="element-name">{t('modeler.name', { type: selected.type.replace('bpmn:', ''), id: selected.id })}</label>
              <input id="element-name" type="text" value={selected.name}
                onChange={(event) => rename(event.currentTarget.value)} />
            </div>
            {fieldsOf(selected.type, camundaDialect).map((field) => {
              const id = `element-${field.key.replace(':', '-')}`;
              const value = readField(selected.element, field);
              return (
                <div class="field" key={field.key}>
                  <label for={id}>{t(`modeler.field.${field.key}`)}</label>
                  {field.kind === 'property' || field.kind === 'attribute'
                    ? <input id={id} type="text" value={value} onChange={(event) => change(field, event.currentTarget.value)} />
                    : <textarea id={id} class="code" rows={3} value={value} spellcheck={false} onChange={(event) => change(field, event.currentTarget.value)} />}
                </div>
              );
            })}
          </div>
        ) : <p class="muted small">{t('modeler.selectHelp')}</p>}
      </div>
    </div>
  );
}
