import { cleanDisplayName } from '@parley/protocol';
import { CallSession } from '../call/call-session.ts';
import { listDevices } from '../call/media/devices.ts';
import { LEVEL_WINDOW_MS } from '../call/media/level-meter.ts';
import { LocalMediaSession } from '../call/media/local-media-session.ts';
import { browserHints, signalingUrlFor } from '../call/signaling-client.ts';
import { SignalingPreconnect } from '../call/signaling-preconnect.ts';
import {
  rememberTransport,
  transportChoosingSocketFactory,
  transportSocketFactory,
} from '../call/signaling-transport-choice.ts';
import { initialCallState, initialLocalState, useCallStore } from './call-store.ts';
import { clearStreams, SELF, setStream } from './media-streams.ts';
import { bindDoorToStore, initialDoorState } from './door-state.ts';
import { bindSessionToStore } from './session-bridge.ts';
import { markJoin, resetJoinMarks } from './timing-marks.ts';

/**
 * The actions components call. Owns the one LocalMediaSession (lobby preview and call share
 * it) and the one live CallSession, and every timer and listener that goes with them.
 */

const PREFS_KEY = 'parley.devices';
/** Each reading covers the interval since the last one (see LEVEL_WINDOW_MS). */
const LEVEL_POLL_MS = LEVEL_WINDOW_MS;
const SPEAKING_LEVEL = 0.08;

let media: LocalMediaSession | undefined;
let mediaOff: Array<() => void> = [];
let levelTimer: ReturnType<typeof setInterval> | undefined;
let call: { session: CallSession; unbind: () => void } | undefined;
let preconnect: SignalingPreconnect | undefined;

/**
 * The peer connection code (PeerLink and simple-peer) is the largest part of the call and is
 * not needed to show the lobby, so it is its own chunk, off the first load's budget. The lobby
 * starts loading it at once (preconnectSignaling), so Join never waits for it.
 */
let peerLinkModule: Promise<typeof import('../call/browser-peer-link.ts')> | undefined;
const loadPeerLink = () => (peerLinkModule ??= import('../call/browser-peer-link.ts'));
let peekTimer: ReturnType<typeof setInterval> | undefined;
/** How often the lobby asks who is in the call. */
const LOBBY_PEEK_MS = 5_000;

interface DevicePrefs {
  audioDeviceId?: string;
  videoDeviceId?: string;
}

function loadPrefs(): DevicePrefs {
  try {
    return JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as DevicePrefs;
  } catch {
    return {};
  }
}

function savePrefs(prefs: DevicePrefs): void {
  localStorage.setItem(PREFS_KEY, JSON.stringify({ ...loadPrefs(), ...prefs }));
}

/** Asks for camera and microphone (once per visit) and starts the preview and level meter. */
export async function prepareMedia(): Promise<void> {
  if (media) return;
  const session = new LocalMediaSession();
  media = session;
  mediaOff = [
    session.on('changed', (state) =>
      useCallStore.setState((s) => ({ local: { ...s.local, ...state } })),
    ),
  ];
  await session.start({ audio: true, video: true, ...loadPrefs() });
  if (media !== session) return; // released while we waited for permission
  setStream(SELF, session.stream);
  useCallStore.setState((s) => ({ local: { ...s.local, ...session.state, ready: true } }));
  useCallStore.setState({ devices: await listDevices() });
  levelTimer = setInterval(() => {
    const level = session.level();
    const { local } = useCallStore.getState();
    const speaking = level > SPEAKING_LEVEL;
    // Small changes are skipped to spare renders, but reaching zero never is: a muted meter
    // must read 0, not the last small value before the mute.
    const moved = Math.abs(local.level - level) > 0.02 || (level === 0 && local.level !== 0);
    if (moved || local.speaking !== speaking) {
      useCallStore.setState({ local: { ...local, level, speaking } });
    }
  }, LEVEL_POLL_MS);
}

export function releaseMedia(): void {
  clearInterval(levelTimer);
  levelTimer = undefined;
  for (const off of mediaOff.splice(0)) off();
  media?.stop();
  media = undefined;
  clearStreams();
  useCallStore.setState({ local: initialLocalState });
}

/**
 * Asks for the camera and microphone again: after a denial ("Try again", or the permission
 * turned to granted in the site settings), or after a device was busy. No reload needed.
 */
export async function retryMedia(): Promise<void> {
  releaseMedia();
  await prepareMedia();
}

export async function chooseDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
  savePrefs(kind === 'audio' ? { audioDeviceId: deviceId } : { videoDeviceId: deviceId });
  await media?.switchDevice(kind, deviceId);
}

export function toggleMedia(kind: 'audio' | 'video'): void {
  if (!media) return;
  const state = media.state;
  media.setEnabled(kind, !(kind === 'audio' ? state.audioEnabled : state.videoEnabled));
}

/** Asks the server whether it offers a relay, for the lobby's privacy option. */
export async function loadClientConfig(): Promise<void> {
  try {
    const response = await fetch('/client-config.json');
    if (!response.ok) return;
    const config = (await response.json()) as {
      relayAvailable?: unknown;
      relayOnlyDefault?: unknown;
    };
    const available = config.relayAvailable === true;
    useCallStore.setState({
      relay: { available, relayOnly: available && config.relayOnlyDefault === true },
    });
  } catch {
    // An older server or the dev proxy without it: no relay option, calls work as before.
  }
}

export function setRelayOnly(relayOnly: boolean): void {
  useCallStore.setState((s) => ({ relay: { ...s.relay, relayOnly } }));
}

/**
 * Opens the signalling connection while the user is in the lobby, so joining does not wait for
 * it. Nothing is sent until Join: the others do not see us before we choose to join.
 */
export function preconnectSignaling(roomId?: string): void {
  void loadPeerLink();
  // Where WebSocket is refused or silent, the lobby opens the SSE session Join will use.
  preconnect ??= new SignalingPreconnect(
    signalingUrlFor(window.location),
    undefined,
    undefined,
    () => transportSocketFactory({ location: window.location })('sse'),
  );
  preconnect.open();
  if (roomId === undefined) return;
  // The lobby says who is already in the call, kept current while it is open.
  preconnect.onPeek = ({ names, capacity }) =>
    useCallStore.setState({ lobbyPeople: { names, capacity } });
  preconnect.peek(roomId);
  clearInterval(peekTimer);
  peekTimer = setInterval(() => {
    preconnect?.open(); // reopens one the network dropped; it peeks again once open
    preconnect?.peek(roomId);
  }, LOBBY_PEEK_MS);
}

/** The lobby was left without joining. */
export function dropPreconnect(): void {
  clearInterval(peekTimer);
  peekTimer = undefined;
  preconnect?.close();
}

export async function joinCall(roomId: string, typedName: string): Promise<void> {
  // The server applies the same rules; cleaning here shows the name as others will see it.
  const cleaned = cleanDisplayName(typedName);
  const displayName = cleaned.ok ? cleaned.name : 'Guest';
  endCall();
  resetJoinMarks();
  markJoin('join-clicked');
  clearInterval(peekTimer);
  peekTimer = undefined;
  // Asked before take(): what the lobby's socket showed of WebSocket on this network.
  const webSocketVerdict = preconnect?.verdict() ?? 'unknown';
  const preconnectedTransport = preconnect?.transport;
  const preconnected = preconnect?.take();
  if (preconnected && preconnectedTransport)
    rememberTransport(localStorageIfAllowed(), preconnectedTransport);
  // The peer connection code and the IndexedDB trust store load beside the camera prompt, off
  // the page's first load.
  const [{ createBrowserPeerLink }, trust] = await Promise.all([
    loadPeerLink(),
    import('../call/verification/trust-store.ts').then(async (m) => ({
      store: m.indexedDbTrustStore,
      certificate: await m.persistentCertificate(),
    })),
    prepareMedia(),
  ]);
  if (!media) {
    preconnected?.close();
    return;
  }
  markJoin('media-ready');
  useCallStore.setState({
    phase: 'in-call',
    signaling: 'connecting',
    // The lobby's connection (a WebSocket, or SSE where that failed); any later connection
    // reports its own transport.
    signalingTransport: preconnected ? preconnectedTransport : undefined,
    displayName,
    selfId: undefined,
    participants: {},
    closedReason: undefined,
    notice: undefined, // the lobby's "Link copied" means nothing in the call
    toasts: [],
    door: { ...initialDoorState, startLocked: useCallStore.getState().door.startLocked },
    droppedMessages: initialCallState.droppedMessages,
  });
  const session = new CallSession({
    startLocked: useCallStore.getState().door.startLocked,
    url: signalingUrlFor(window.location),
    roomId,
    displayName,
    hints: browserHints,
    preconnected,
    // The transport race bounds each transport itself (a WebSocket must answer within 1.5 s, an
    // SSE stream show its first bytes within 4 s); this only catches a connect that hangs on all.
    connectTimeoutMs: 10_000,
    createSocket: transportChoosingSocketFactory({
      location: window.location,
      memory: localStorageIfAllowed(),
      webSocketLast: webSocketVerdict === 'refused' || webSocketVerdict === 'silent',
      onTransport: (signalingTransport) => useCallStore.setState({ signalingTransport }),
    }),
    media,
    relayOnly: useCallStore.getState().relay.relayOnly,
    createLink: createBrowserPeerLink,
    certificate: trust.certificate,
    trustStore: trust.store,
  });
  const unbindDoor = bindDoorToStore(session, useCallStore);
  const unbindSession = bindSessionToStore(session, useCallStore);
  call = {
    session,
    unbind: () => {
      unbindDoor();
      unbindSession();
    },
  };
  session.start();
}

/** Leaves the call and turns the camera off; the page offers to rejoin. */
export function leaveCall(): void {
  endCall();
  releaseMedia();
  const { displayName, updateReady } = useCallStore.getState();
  useCallStore.setState({ ...initialCallState, phase: 'left', displayName, updateReady });
}

/** Locks or unlocks the call for newcomers (everyone in it sees the change). */
export function setCallLocked(locked: boolean): void {
  call?.session.setLock(locked);
}

export function answerKnock(knockId: string, admit: boolean): void {
  call?.session.answerKnock(knockId, admit);
}

/** The lobby's "Start the call locked" (it only matters if we are the first in the call). */
export function setStartLocked(startLocked: boolean): void {
  useCallStore.setState((s) => ({ door: { ...s.door, startLocked } }));
}

export function sendChat(text: string): void {
  const trimmed = text.trim();
  if (trimmed && call) call.session.sendChat(trimmed);
}

export function setChatOpen(open: boolean): void {
  useCallStore.setState((s) => ({ chat: { ...s.chat, open, unread: open ? 0 : s.chat.unread } }));
}

/** Starts or stops sharing the screen (with tab or system audio where the browser offers it). */
export async function toggleScreenShare(): Promise<void> {
  const session = call?.session;
  if (!session) return;
  if (session.sharingScreen) return session.stopScreenShare();
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: true });
    if (call?.session === session) session.startScreenShare(stream);
    else for (const track of stream.getTracks()) track.stop(); // the call ended meanwhile
  } catch (error) {
    const cancelled = (error as { name?: string }).name === 'NotAllowedError';
    useCallStore.setState({
      notice: cancelled
        ? 'Screen sharing was cancelled'
        : 'Screen sharing is not available in this browser',
    });
  }
}

/** Offers files to one participant or to everyone connected (each gets its own transfer). */
export function sendFiles(files: File[], to: string): void {
  const session = call?.session;
  if (!session || files.length === 0) return;
  const { participants } = useCallStore.getState();
  const peerIds =
    to === 'everyone'
      ? Object.values(participants)
          .filter((p) => p.connection !== 'failed' && p.connection !== 'unreachable')
          .map((p) => p.id)
      : [to];
  if (peerIds.length === 0) {
    useCallStore.setState({ notice: 'Nobody is in the call to send files to yet' });
    return;
  }
  session.sendFiles(files, peerIds);
  setFilesOpen(true);
}

/** Verification codes (see call/verification/sas.ts). */
export const refreshVerification = (id: string) => call?.session.refreshVerification(id);
export const markVerified = (id: string) => call?.session.markVerified(id);

export const acceptFile = (id: string) => call?.session.acceptFile(id);
export const declineFile = (id: string) => call?.session.declineFile(id);
export const cancelFile = (id: string) => call?.session.cancelFile(id);

export function setFilesOpen(open: boolean): void {
  useCallStore.setState((s) => ({ files: { ...s.files, open } }));
}

export async function copyLink(): Promise<void> {
  try {
    await navigator.clipboard.writeText(window.location.href);
    useCallStore.setState({ notice: 'Link copied' });
  } catch {
    useCallStore.setState({ notice: `Copy this link: ${window.location.href}` });
  }
}

function endCall(): void {
  if (!call) return;
  const { session, unbind } = call;
  call = undefined;
  session.leave();
  unbind();
}

// Closing or reloading the tab says goodbye, so the others see us leave at once.
window.addEventListener('pagehide', () => {
  dropPreconnect();
  endCall();
  releaseMedia();
});

/** localStorage, or undefined where reading it throws (storage blocked for this site). */
function localStorageIfAllowed(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
