import { useEffect, useState, type FormEvent } from 'react';
import { MEDIA_PROBLEM_TEXT } from '../call/media/media-problems.ts';
import {
  copyLink,
  dropPreconnect,
  joinCall,
  loadClientConfig,
  preconnectSignaling,
  prepareMedia,
  retryMedia,
  setRelayOnly,
  toggleMedia,
} from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import { SELF } from '../state/media-streams.ts';
import { watchMediaPermissions } from '../state/permission-watch.ts';
import { DevicePickers } from './DevicePickers.tsx';
import { StartLockedOption } from './StartLockedOption.tsx';
import { LobbyPeople } from './LobbyPeople.tsx';
import { VideoView } from './VideoView.tsx';

const NAME_KEY = 'parley.displayName';

/**
 * The lobby. Its order is what a phone needs above the fold: preview, name, the two toggles and
 * "Join call"; device pickers, the level meter and the relay option follow.
 */
export function Lobby({ roomId }: { roomId: string }) {
  const local = useCallStore((s) => s.local);
  const notice = useCallStore((s) => s.notice);
  const relay = useCallStore((s) => s.relay);
  const [name, setName] = useState(() => localStorage.getItem(NAME_KEY) ?? '');

  useEffect(() => {
    void prepareMedia();
    void loadClientConfig();
    preconnectSignaling(roomId);
    // Joining takes the connection first, so this only closes one left unused.
    return dropPreconnect;
  }, [roomId]);

  const denied = local.problem === 'permission-denied';
  useEffect(() => {
    if (!denied) return;
    return watchMediaPermissions(() => void retryMedia());
  }, [denied]);

  function join(event: FormEvent) {
    event.preventDefault();
    const displayName = name.trim() || 'Guest';
    localStorage.setItem(NAME_KEY, displayName);
    void joinCall(roomId, displayName);
  }

  const joinMode =
    !local.hasAudio && !local.hasVideo
      ? 'You will join to watch and listen.'
      : !local.hasVideo
        ? 'You will join with audio only.'
        : undefined;
  const canRetry =
    local.problem === 'permission-denied' ||
    local.problem === 'device-in-use' ||
    local.problem === 'unknown';

  return (
    <main className="page lobby-page">
      <h1>Ready to join?</h1>
      <LobbyPeople />
      <div className="lobby">
        <div className="preview">
          {local.hasVideo ? (
            <VideoView streamId={SELF} self label="Your camera preview" />
          ) : (
            <div className="preview-placeholder">
              {local.ready ? 'Camera off' : 'Starting camera…'}
            </div>
          )}
        </div>
        <form onSubmit={join} className="lobby-form">
          {local.problem && (
            <div className="row">
              <p role="alert">{MEDIA_PROBLEM_TEXT[local.problem]}</p>
              {canRetry && (
                <button type="button" onClick={() => void retryMedia()}>
                  Try again
                </button>
              )}
            </div>
          )}
          <label>
            Your name
            <input
              value={name}
              maxLength={64}
              autoComplete="name"
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <div className="row">
            <button
              type="button"
              className="toggle"
              aria-pressed={local.audioEnabled}
              disabled={!local.hasAudio}
              onClick={() => toggleMedia('audio')}
            >
              Microphone
            </button>
            <button
              type="button"
              className="toggle"
              aria-pressed={local.videoEnabled}
              disabled={!local.hasVideo}
              onClick={() => toggleMedia('video')}
            >
              Camera
            </button>
          </div>
          <StartLockedOption />
          {joinMode && <p className="hint">{joinMode}</p>}
          <button type="submit" className="primary join-button" disabled={!local.ready}>
            Join call
          </button>
          <div className="lobby-more">
            <DevicePickers />
            <label className="meter-label">
              Microphone level
              <meter min={0} max={1} value={local.level} className="level" />
            </label>
            <label className="checkbox">
              <input
                type="checkbox"
                checked={relay.relayOnly}
                disabled={!relay.available}
                aria-describedby="relay-hint"
                onChange={(e) => setRelayOnly(e.target.checked)}
              />
              Relay only (hides your IP address)
            </label>
            <p id="relay-hint" className="hint">
              {relay.available
                ? 'Media goes through this server’s relay, so other participants never see your address. It can add delay.'
                : 'This server has no relay (TURN) configured, so calls connect directly.'}{' '}
              <a href="/test" target="_blank" rel="noreferrer">
                Test my connection
              </a>
            </p>
          </div>
        </form>
      </div>
      <div className="share-link">
        <label>
          Link to this call
          <input readOnly value={window.location.href} onFocus={(e) => e.target.select()} />
        </label>
        <button type="button" onClick={() => void copyLink()}>
          Copy link
        </button>
        <span aria-live="polite">{notice}</span>
      </div>
    </main>
  );
}
