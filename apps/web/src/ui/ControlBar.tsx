import { useEffect, useState } from 'react';
import {
  copyLink,
  leaveCall,
  setChatOpen,
  setFilesOpen,
  toggleMedia,
  toggleScreenShare,
} from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import { LockButton } from './LockButton.tsx';
import { DevicePickers } from './DevicePickers.tsx';

/** Keyboard shortcuts for the main toggles (ignored while typing in a field). */
const SHORTCUTS: Record<string, 'audio' | 'video'> = { m: 'audio', v: 'video' };

/** `fileInputId`: the Files panel's file input, opened by "Send file". */
export function ControlBar({ fileInputId }: { fileInputId: string }) {
  const local = useCallStore((s) => s.local);
  const sharing = useCallStore((s) => s.sharingScreen);
  const chat = useCallStore((s) => s.chat);
  const [devicesOpen, setDevicesOpen] = useState(false);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (
        event.ctrlKey ||
        event.metaKey ||
        event.altKey ||
        target?.closest('input, textarea, select')
      )
        return;
      const kind = SHORTCUTS[event.key.toLowerCase()];
      if (kind) {
        event.preventDefault();
        toggleMedia(kind);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <>
      {devicesOpen && (
        <div className="devices-panel" role="region" aria-label="Devices">
          <DevicePickers />
        </div>
      )}
      <nav className="control-bar" aria-label="Call controls">
        <button
          type="button"
          aria-pressed={local.audioEnabled}
          disabled={!local.hasAudio}
          aria-keyshortcuts="M"
          title="Microphone (M)"
          onClick={() => toggleMedia('audio')}
        >
          {local.audioEnabled ? '🎙️' : '🔇'} Microphone
        </button>
        <button
          type="button"
          aria-pressed={local.videoEnabled}
          disabled={!local.hasVideo}
          aria-keyshortcuts="V"
          title="Camera (V)"
          onClick={() => toggleMedia('video')}
        >
          {local.videoEnabled ? '📷' : '🚫'} Camera
        </button>
        <button
          type="button"
          aria-expanded={devicesOpen}
          onClick={() => setDevicesOpen((open) => !open)}
        >
          Devices
        </button>
        <button type="button" aria-pressed={sharing} onClick={() => void toggleScreenShare()}>
          {sharing ? 'Stop sharing' : 'Share screen'}
        </button>
        <button type="button" aria-expanded={chat.open} onClick={() => setChatOpen(!chat.open)}>
          Chat
          {chat.unread > 0 && (
            <span className="unread" aria-label={`${chat.unread} unread`}>
              {chat.unread}
            </span>
          )}
        </button>
        <button
          type="button"
          onClick={() => {
            setFilesOpen(true);
            // The panel renders its input on this click; open the chooser once it exists.
            requestAnimationFrame(() => document.getElementById(fileInputId)?.click());
          }}
        >
          Send file
        </button>
        <button type="button" onClick={() => void copyLink()}>
          Copy link
        </button>
        <LockButton />
        <button type="button" className="danger" onClick={leaveCall}>
          Leave
        </button>
      </nav>
    </>
  );
}
