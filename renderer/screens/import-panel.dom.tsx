/**
 * Bringing chats and characters over from SillyTavern: a folder (a SillyTavern user folder such as
 * data/default-user) or files (.jsonl chats, World Info, presets, cards, a Mindstage export). Only the files an
 * import reads are read here (shared/import-paths.std.ts); progress and the report of what was left out follow.
 */
import { useEffect, useRef, useState } from 'react';
import type { ImportReport } from '../../shared/api/transfer.std.ts';
import { isImportCandidate } from '../../shared/import-paths.std.ts';
import { call, messageOf, on } from '../lib/api.dom.ts';
import { fileToBase64 } from '../lib/bytes.dom.ts';
import { useLibrary } from '../stores/library.dom.ts';

/** A file's path inside what was chosen: the folder's own name first, as the core expects. */
const pathOf = (f: File) => (f.webkitRelativePath || f.name).replaceAll('\\', '/');

export function ImportPanel() {
  const folderInput = useRef<HTMLInputElement>(null);
  const filesInput = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => on('import.progress', (p) => setProgress(p)), []);

  const run = async (list: FileList | null) => {
    const chosen = [...(list ?? [])];
    const folder = chosen.some((f) => f.webkitRelativePath);
    const wanted = folder ? chosen.filter((f) => isImportCandidate(pathOf(f))) : chosen;
    if (wanted.length === 0) {
      setError('Nothing there can be imported: choose a SillyTavern user folder (such as data/default-user), chats (.jsonl), World Info, presets or cards.');
      return;
    }
    setBusy(true);
    setError(null);
    setReport(null);
    setProgress({ done: 0, total: wanted.length });
    try {
      const files = await Promise.all(wanted.map(async (f) => ({ path: pathOf(f), bytesBase64: await fileToBase64(f) })));
      setReport(await call('import.files', { files }));
      void useLibrary.getState().load();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };

  const counts = report?.imported;
  return (
    <section className="card" aria-labelledby="st-import-title">
      <h2 id="st-import-title">Import from SillyTavern</h2>
      <p>
        Bring your chats (with every swipe), characters, group chats, World Info, presets and personas. Choose your SillyTavern user folder — usually
        <code> SillyTavern/data/default-user</code> — or single files. Importing the same thing twice adds nothing.
      </p>
      <input ref={folderInput} type="file" hidden multiple {...{ webkitdirectory: '' }} data-testid="st-import-folder" onChange={(e) => void run(e.target.files).then(() => (e.target.value = ''))} />
      <input ref={filesInput} type="file" hidden multiple accept=".jsonl,.json,.png,.charx" data-testid="st-import-files" onChange={(e) => void run(e.target.files).then(() => (e.target.value = ''))} />
      <div className="row">
        <button type="button" disabled={busy} onClick={() => folderInput.current?.click()}>
          Import a folder…
        </button>
        <button type="button" disabled={busy} onClick={() => filesInput.current?.click()}>
          Import files…
        </button>
      </div>
      {progress ? (
        <div role="status" aria-live="polite">
          {/* One file (a single large chat) is one step: a moving bar shows work going on rather than a bar stuck at 0. */}
          {progress.total <= 1 ? <progress /> : <progress max={progress.total} value={progress.done} />} Importing…{' '}
          {progress.total <= 1 ? '' : `${progress.done} of ${progress.total}`}
        </div>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {counts ? (
        <div role="status" aria-label="Import report">
          <p>
            Imported {counts.conversations} conversation{counts.conversations === 1 ? '' : 's'}, {counts.characters} character{counts.characters === 1 ? '' : 's'},{' '}
            {counts.lorebooks} lorebook{counts.lorebooks === 1 ? '' : 's'}, {counts.presets} preset{counts.presets === 1 ? '' : 's'} and {counts.personas} persona
            {counts.personas === 1 ? '' : 's'}.
          </p>
          {report.notes?.length ? (
            <ul className="small" aria-label="Notes on what was imported">
              {report.notes.map((n) => (
                <li key={`${n.path}:${n.note}`}>
                  <strong>{n.path}</strong> — {n.note}
                </li>
              ))}
            </ul>
          ) : null}
          {report.skipped.length > 0 ? (
            <details open={report.skipped.some((s) => s.reason !== 'already imported.')}>
              <summary>Left out: {report.skipped.length}</summary>
              <ul className="small">
                {report.skipped.map((s) => (
                  <li key={s.path}>
                    <strong>{s.path}</strong> — {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
