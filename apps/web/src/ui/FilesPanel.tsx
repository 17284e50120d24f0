import { useId, useState, type ChangeEvent } from 'react';
import { formatBytes } from '../call/files/format-bytes.ts';
import type { TransferSnapshot } from '../call/files/transfer-types.ts';
import { acceptFile, cancelFile, declineFile, sendFiles } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import { openPanel } from '../state/view-actions.ts';
import { SidePanel } from './panels/SidePanel.tsx';

const STATE_TEXT: Record<TransferSnapshot['state'], string> = {
  // The sender's view; the receiver is asked (RECEIVER_OFFERED_TEXT) rather than told to wait.
  offered: 'Waiting for an answer',
  transferring: 'Transferring',
  interrupted: 'Connection lost, will resume',
  verifying: 'Checking integrity',
  done: 'Done',
  declined: 'Declined',
  cancelled: 'Cancelled',
  failed: 'Failed',
};
const RECEIVER_OFFERED_TEXT = 'Wants to send you this file';

function stateText(t: TransferSnapshot): string {
  return t.direction === 'in' && t.state === 'offered'
    ? RECEIVER_OFFERED_TEXT
    : STATE_TEXT[t.state];
}

/** Sending and receiving files. Names are shown as text only and were sanitised on arrival. */
export function FilesPanel({ inputId }: { inputId: string }) {
  const transfers = useCallStore((s) => s.files.transfers);
  const participants = useCallStore((s) => s.participants);
  const knownNames = useCallStore((s) => s.knownNames);
  const [to, setTo] = useState('everyone');
  const id = useId();

  function chosen(event: ChangeEvent<HTMLInputElement>) {
    sendFiles([...(event.target.files ?? [])], to);
    event.target.value = '';
  }

  const list = Object.values(transfers).reverse();
  return (
    <SidePanel title="Files" className="files-panel" onClose={() => openPanel(undefined)}>
      <div className="panel-scroll">
        <div className="files-send">
          <label htmlFor={`${id}-to`}>Send to</label>
          <select id={`${id}-to`} value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="everyone">Everyone</option>
            {Object.values(participants).map((p) => (
              <option key={p.id} value={p.id}>
                {p.displayName}
              </option>
            ))}
          </select>
          <label htmlFor={inputId}>Files to send</label>
          <input id={inputId} type="file" multiple onChange={chosen} />
          <p className="hint">
            Or drop files anywhere on the call. Nothing is sent until the receiver accepts.
          </p>
        </div>
        <ul className="transfers" aria-label="Transfers">
          {list.map((t) => (
            <TransferRow
              key={t.id}
              transfer={t}
              peerName={
                participants[t.peerId]?.displayName ??
                (knownNames[t.peerId] !== undefined ? `${knownNames[t.peerId]} (left)` : 'someone')
              }
            />
          ))}
        </ul>
      </div>
    </SidePanel>
  );
}

function TransferRow({ transfer: t, peerName }: { transfer: TransferSnapshot; peerName: string }) {
  const active =
    t.state === 'transferring' ||
    t.state === 'interrupted' ||
    t.state === 'verifying' ||
    (t.state === 'offered' && t.direction === 'out');
  return (
    // The <li> stays a list item (a role on it would break the list); the group inside carries
    // the name and the state attributes that tests and the bench read.
    <li className="transfer-item">
      <section
        role="group"
        aria-label={t.name}
        className="transfer"
        data-state={t.state}
        data-direction={t.direction}
        data-bytes-sent={t.bytesSent}
        data-speed={Math.round(t.speed)}
      >
        <div className="transfer-name">{t.name}</div>
        <div className="transfer-meta">
          {t.direction === 'in' ? 'from ' : 'to '}
          <bdi>{peerName}</bdi> · {formatBytes(t.size)} ·{' '}
          <span className="transfer-state">{stateText(t)}</span>
          {t.verified && <span className="verified"> · verified</span>}
        </div>
        {(t.state === 'transferring' || t.state === 'interrupted') && (
          <div className="transfer-progress">
            <progress max={t.size} value={t.transferred} aria-label={`Progress of ${t.name}`} />
            <span>
              {formatBytes(t.transferred)} · {formatBytes(t.speed)}/s
              {t.eta !== undefined && ` · ${formatDuration(t.eta)} left`}
            </span>
          </div>
        )}
        {t.error && (
          <p className="transfer-error" role="alert">
            {t.error}
          </p>
        )}
        <div className="row">
          {t.direction === 'in' && t.state === 'offered' && (
            <>
              <button type="button" className="primary" onClick={() => acceptFile(t.id)}>
                Accept
              </button>
              <button type="button" onClick={() => declineFile(t.id)}>
                Decline
              </button>
            </>
          )}
          {active && (
            <button type="button" onClick={() => cancelFile(t.id)}>
              Cancel
            </button>
          )}
          {t.downloadUrl && (
            <a className="button-link" href={t.downloadUrl} download={t.name}>
              Save {t.name}
            </a>
          )}
        </div>
      </section>
    </li>
  );
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes} min ${Math.round(seconds % 60)} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
