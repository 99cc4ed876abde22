// A `document-id` field: choose a file, watch it upload to the instance (progress bar),
// then the field holds the document's id and shows a link to the file.
import { useState } from 'preact/hooks';
import { downloadDocument, uploadDocument } from '../api/client.js';
import { t } from '../i18n/index.js';

export function DocumentWidget(props) {
  const { id, value, onChange, disabled, readonly, required, registry, rawErrors } = props;
  const instanceId = registry?.formContext?.instanceId;
  const known = registry?.formContext?.documents || {};
  const [progress, setProgress] = useState(null);
  const [uploaded, setUploaded] = useState(null); // {id, filename}
  const [failure, setFailure] = useState(null);
  const current = value ? (uploaded?.id === value ? uploaded : { id: value, filename: known[value]?.filename || value }) : null;

  const choose = async (event) => {
    const input = event.currentTarget; // gone from the event once it is dispatched
    const file = input.files?.[0];
    if (!file) return;
    setFailure(null);
    setProgress(0);
    try {
      const document = await uploadDocument(instanceId, file, setProgress);
      setUploaded({ id: document.id, filename: document.filename });
      onChange(document.id);
    } catch (error) {
      setFailure(t('form.uploadFailed', { detail: error.message }));
    } finally {
      setProgress(null);
      input.value = '';
    }
  };

  const describedBy = `${id}-status`;
  return (
    <div class="upload">
      <input id={id} type="file" onChange={choose} disabled={disabled || readonly || progress !== null}
        aria-required={required || undefined} aria-invalid={rawErrors?.length ? 'true' : undefined} aria-describedby={describedBy} />
      <div id={describedBy} class="upload-status" aria-live="polite">
        {progress !== null && (
          <span class="upload-progress">
            <progress max="1" value={progress} />
            <span>{t('form.uploading', { percent: Math.round(progress * 100) })}</span>
          </span>
        )}
        {progress === null && current && (
          <span class="upload-done">
            {t('form.uploaded', { name: '' })}
            <a href={`/api/v1/documents/${current.id}/content`} data-document-id={current.id}
              onClick={(event) => { event.preventDefault(); downloadDocument(current.id, current.filename); }}>{current.filename}</a>
          </span>
        )}
        {failure && <span class="error-text" role="alert">{failure}</span>}
      </div>
    </div>
  );
}
