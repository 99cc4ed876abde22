// One BPMN diagram drawn by bpmn-js's NavigatedViewer (loaded with the page that needs it):
// finished elements marked, those under way highlighted, each open task labelled with its
// queue and assignee, and the call activities that ran openable (by click, or by the
// buttons under the diagram for keyboard users).
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n/index.js';

let viewerModule = null;
function loadViewer() {
  viewerModule ??= import('bpmn-js/lib/NavigatedViewer');
  return viewerModule;
}

function badge(lines) {
  const box = document.createElement('div');
  box.className = 'lkj-badge';
  for (const line of lines) {
    const row = document.createElement('div');
    row.textContent = line;
    box.append(row);
  }
  return box;
}

/**
 * xml: the diagram file; completed, active: element ids; tasks: open tasks ({element_id,
 * queue, assignee}); openable: {element id: number of runs}; onOpen(elementId); heat
 * (optional): {element id: open tasks there across a version's instances}, drawn as a count;
 * markers (optional): {css class: element ids}, with `legend` shown under the diagram
 */
export function DiagramViewer({ xml, completed, active, tasks, openable, onOpen, label, heat = {}, markers = {}, legend = null }) {
  const container = useRef(null);
  const viewer = useRef(null);
  const [failure, setFailure] = useState(null);
  const [names, setNames] = useState({});
  const [ready, setReady] = useState(0); // counts viewers made (one per mount)
  const onOpenRef = useRef(onOpen);
  onOpenRef.current = onOpen;
  const openableRef = useRef(openable);
  openableRef.current = openable;

  useEffect(() => {
    let cancelled = false;
    loadViewer().then(({ default: NavigatedViewer }) => {
      if (cancelled || !container.current) return;
      viewer.current = new NavigatedViewer({ container: container.current });
      viewer.current.get('eventBus').on('element.click', ({ element }) => {
        if (openableRef.current[element.id]) onOpenRef.current(element.id);
      });
      setFailure(null);
      setReady((n) => n + 1);
    }, setFailure);
    return () => {
      cancelled = true;
      viewer.current?.destroy();
      viewer.current = null;
    };
  }, []);
  useEffect(() => {
    const current = viewer.current;
    if (!current || !xml) return;
    let cancelled = false;
    current.importXML(xml).then(() => {
      if (cancelled) return;
      const canvas = current.get('canvas');
      const registry = current.get('elementRegistry');
      const overlays = current.get('overlays');
      const mark = (ids, marker) => ids.forEach((id) => registry.get(id) && canvas.addMarker(id, marker));
      mark(completed, 'lkj-done');
      mark(active, 'lkj-active');
      mark(Object.keys(openable), 'lkj-openable');
      for (const [marker, ids] of Object.entries(markers)) mark(ids, marker);
      const byElement = {};
      for (const task of tasks) (byElement[task.element_id] ??= []).push(task);
      for (const [id, list] of Object.entries(byElement)) {
        if (!registry.get(id)) continue;
        const lines = list.slice(0, 3).map((task) => `${task.queue}${task.assignee ? ` · ${task.assignee}` : ''}`);
        if (list.length > 3) lines.push(`+${list.length - 3}`);
        overlays.add(id, 'lkj-task', { position: { bottom: 6, left: -6 }, html: badge(lines) });
      }
      const hottest = Math.max(1, ...Object.values(heat));
      for (const [id, count] of Object.entries(heat)) {
        if (!registry.get(id)) continue;
        const mark = document.createElement('div');
        mark.className = 'lkj-heat';
        mark.dataset.elementId = id;
        mark.textContent = String(count);
        mark.style.opacity = String(0.55 + 0.45 * (count / hottest)); // more tokens, stronger
        overlays.add(id, 'lkj-heat', { position: { top: -12, right: 12 }, html: mark });
      }
      setNames(Object.fromEntries(Object.keys(openable).map((id) => [id, registry.get(id)?.businessObject?.name || id])));
      canvas.zoom('fit-viewport', 'auto');
    }, (error) => !cancelled && setFailure(error));
    return () => { cancelled = true; };
  }, [ready, xml, completed.join(), active.join(), JSON.stringify(tasks), Object.keys(openable).join(), JSON.stringify(heat), JSON.stringify(markers)]);

  return (
    <div class="diagram">
      <div class="diagram-canvas" ref={container} role="img" aria-label={label} data-testid="diagram" />
      <div class="diagram-tools">
        <button type="button" class="button button-small" onClick={() => viewer.current?.get('canvas').zoom('fit-viewport', 'auto')}>{t('instance.zoomFit')}</button>
        {legend || (
          <>
            <span class="legend"><span class="swatch swatch-done" aria-hidden="true" />{t('instance.legend.done')}</span>
            <span class="legend"><span class="swatch swatch-active" aria-hidden="true" />{t('instance.legend.active')}</span>
          </>
        )}
        {Object.keys(heat).length > 0 && <span class="legend"><span class="lkj-heat" aria-hidden="true">n</span>{t('cockpit.legendHeat')}</span>}
      </div>
      {failure && <p class="error-text" role="alert">{String(failure.message || failure)}</p>}
      {Object.keys(openable).length > 0 && (
        <ul class="subprocesses">
          {Object.keys(openable).map((id) => (
            <li key={id}>
              <button type="button" class="button button-small" data-element-id={id} onClick={() => onOpen(id)}>
                {t('instance.openSub', { name: names[id] || id })}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export default DiagramViewer;
