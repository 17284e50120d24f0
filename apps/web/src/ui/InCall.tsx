import { useCallStore } from '../state/call-store.ts';
import { remoteStreamKey, SELF, SELF_SCREEN } from '../state/media-streams.ts';
import { ChatPanel } from './ChatPanel.tsx';
import { FilesPanel } from './FilesPanel.tsx';
import { sendFiles } from '../state/call-controller.ts';
import { useId, type DragEvent } from 'react';
import { VideoView } from './VideoView.tsx';
import { ControlBar } from './ControlBar.tsx';
import { Tile } from './Tile.tsx';
import { RenderGuard } from './RenderGuard.tsx';
import { VerifyPeople } from './VerifyPeople.tsx';

const STATUS_TEXT = {
  idle: 'Connecting…',
  connecting: 'Connecting…',
  joined: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

export function InCall() {
  const signaling = useCallStore((s) => s.signaling);
  const participants = useCallStore((s) => s.participants);
  const local = useCallStore((s) => s.local);
  const displayName = useCallStore((s) => s.displayName);
  const notice = useCallStore((s) => s.notice);
  const sharing = useCallStore((s) => s.sharingScreen);
  const chatOpen = useCallStore((s) => s.chat.open);
  const filesOpen = useCallStore((s) => s.files.open);
  const fileInputId = useId();
  const onDrop = (event: DragEvent) => {
    if (event.dataTransfer.files.length === 0) return;
    event.preventDefault();
    sendFiles([...event.dataTransfer.files], 'everyone');
  };
  const people = Object.values(participants);
  const screens = [
    ...(sharing ? [{ key: SELF_SCREEN, label: 'Your screen' }] : []),
    ...people.flatMap((p) =>
      p.screenStreamId !== null && p.streamIds.includes(p.screenStreamId)
        ? [
            {
              key: remoteStreamKey(p.id, p.screenStreamId),
              label: `Screen shared by ${p.displayName}`,
            },
          ]
        : [],
    ),
  ];
  const anyReconnecting = people.some((p) => p.connection === 'reconnecting');
  const status =
    signaling === 'joined' && anyReconnecting ? 'Reconnecting…' : STATUS_TEXT[signaling];

  return (
    <main
      className="call"
      onDragOver={(e) => e.dataTransfer.types.includes('Files') && e.preventDefault()}
      onDrop={onDrop}
    >
      <header className="call-header">
        <p role="status" className="signaling-status" data-status={signaling}>
          {status}
        </p>
        <p aria-live="polite" className="notice">
          {notice}
        </p>
        <RenderGuard label="Verification">
          <VerifyPeople />
        </RenderGuard>
      </header>
      <div className="stage">
        <div className="stage-main">
          {screens.length > 0 && (
            <div className="presentations">
              {screens.map((screen) => (
                <section
                  key={screen.key}
                  role="group"
                  aria-label={screen.label}
                  className="presentation"
                >
                  <RenderGuard label={screen.label}>
                    <VideoView
                      streamId={screen.key}
                      self={screen.key === SELF_SCREEN}
                      mirror={false}
                      label={screen.label}
                    />
                  </RenderGuard>
                </section>
              ))}
            </div>
          )}
          <div className="grid" data-count={people.length + 1}>
            <RenderGuard label="Your tile">
              <Tile
                streamId={SELF}
                name={displayName}
                self
                audio={local.audioEnabled}
                video={local.videoEnabled}
                speaking={local.speaking}
              />
            </RenderGuard>
            {people.map((p) => (
              <RenderGuard key={p.id} label={`The tile of ${p.displayName}`}>
                <Tile
                  streamId={remoteStreamKey(p.id, cameraStreamId(p))}
                  name={p.displayName}
                  self={false}
                  audio={p.audio}
                  video={p.video}
                  speaking={p.speaking}
                  participant={p}
                />
              </RenderGuard>
            ))}
          </div>
          {people.length === 0 && (
            <p className="waiting">
              Waiting for others. Share the link: anyone who opens it joins this call.
            </p>
          )}
        </div>
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
      <ControlBar fileInputId={fileInputId} />
    </main>
  );
}

/** The camera stream is whichever received stream is not the announced screen share. */
function cameraStreamId(p: { streamIds: string[]; screenStreamId: string | null }): string {
  return p.streamIds.find((id) => id !== p.screenStreamId) ?? 'none';
}
