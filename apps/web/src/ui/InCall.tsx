import { useEffect, useId, type DragEvent } from 'react';
import { sendFiles } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import { ChatPanel } from './chat/ChatPanel.tsx';
import { ControlBar } from './ControlBar.tsx';
import { KnockPrompts } from './KnockPrompts.tsx';
import { FilesPanel } from './FilesPanel.tsx';
import { Stage } from './layout/Stage.tsx';
import { PeoplePanel } from './panels/PeoplePanel.tsx';
import { RenderGuard } from './RenderGuard.tsx';
import { VerifyPeople } from './VerifyPeople.tsx';
import { Toasts } from './Toasts.tsx';

const STATUS_TEXT = {
  idle: 'Connecting…',
  connecting: 'Connecting…',
  joined: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

/** How long a notice ("Link copied") stays before it clears itself, in ms. */
const NOTICE_MS = 4_000;

/**
 * The call page. It is exactly the window's height and never scrolls: a slim header, the stage
 * (which takes whatever is left), the side panels beside it (each scrolling inside itself) and
 * the control bar pinned at the bottom.
 */
export function InCall() {
  const signaling = useCallStore((s) => s.signaling);
  const anyReconnecting = useCallStore((s) =>
    Object.values(s.participants).some((p) => p.connection === 'reconnecting'),
  );
  const notice = useCallStore((s) => s.notice);
  const updateReady = useCallStore((s) => s.updateReady);
  const chatOpen = useCallStore((s) => s.chat.open);
  const unread = useCallStore((s) => s.chat.unread);
  const filesOpen = useCallStore((s) => s.files.open);
  const peopleOpen = useCallStore((s) => s.view.peopleOpen);
  const fileInputId = useId();

  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Parley` : 'Parley';
    return () => {
      document.title = 'Parley';
    };
  }, [unread]);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => useCallStore.setState({ notice: undefined }), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  const onDrop = (event: DragEvent) => {
    if (event.dataTransfer.files.length === 0) return;
    event.preventDefault();
    sendFiles([...event.dataTransfer.files], 'everyone');
  };
  const status =
    signaling === 'joined' && anyReconnecting ? 'Reconnecting…' : STATUS_TEXT[signaling];
  const panelsOpen = chatOpen || filesOpen || peopleOpen;

  return (
    <main
      className="call"
      onDragOver={(e) => e.dataTransfer.types.includes('Files') && e.preventDefault()}
      onDrop={onDrop}
    >
      <header className="call-header">
        <h1 className="visually-hidden">Parley call</h1>
        <p role="status" className="signaling-status" data-status={signaling}>
          {status}
        </p>
        <p aria-live="polite" className="notice">
          {notice}
        </p>
        {updateReady && (
          <p aria-live="polite" className="update-ready">
            <span className="update-ready-full">
              Parley was updated. The new version loads after this call.
            </span>
            {/* A phone's header has room for a few words beside the status and Verify. */}
            <span className="update-ready-short" aria-hidden="true">
              New version after this call
            </span>
          </p>
        )}
        <RenderGuard label="Verification">
          <VerifyPeople />
        </RenderGuard>
      </header>
      <div className={panelsOpen ? 'call-body with-panels' : 'call-body'}>
        <Stage />
        <Toasts />
        {panelsOpen && (
          <div className="panels">
            {peopleOpen && (
              <RenderGuard label="People">
                <PeoplePanel />
              </RenderGuard>
            )}
            {chatOpen && (
              <RenderGuard label="Chat">
                <ChatPanel />
              </RenderGuard>
            )}
            {filesOpen && (
              <RenderGuard label="Files">
                <FilesPanel inputId={fileInputId} />
              </RenderGuard>
            )}
          </div>
        )}
      </div>
      <KnockPrompts />
      <ControlBar fileInputId={fileInputId} />
    </main>
  );
}
