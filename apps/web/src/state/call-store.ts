import { create } from 'zustand';
import type { ChatEntry, Participant } from '../call/call-session.ts';
import { NO_DROPS, type DropCounts } from '../call/trust/drop-counter.ts';
import type { TransferSnapshot } from '../call/files/transfer-types.ts';
import type { DeviceLists } from '../call/media/devices.ts';
import type { LocalMediaState } from '../call/media/local-media-session.ts';
import type { SignalingTransport } from '../call/racing-socket.ts';
import type { ClosedReason, SignalingStatus } from '../call/signaling-client.ts';
import { initialDoorState, type DoorUiState } from './door-state.ts';

/** Serialisable UI state only: no sockets, peers or streams ever live here. */
export type CallPhase = 'lobby' | 'in-call' | 'left' | 'refused';

export interface LocalUiState extends LocalMediaState {
  /** Microphone level 0..1 for the meter. */
  level: number;
  speaking: boolean;
  /** False until the lobby has asked for the camera and microphone. */
  ready: boolean;
}

/** A chat line with the sender's name as it was when the message arrived. */
export interface ChatLine extends ChatEntry {
  fromName: string;
}

export interface CallUiState {
  phase: CallPhase;
  signaling: SignalingStatus | 'idle';
  /** How signalling reaches the server on this connection (undefined until one is chosen). */
  signalingTransport: SignalingTransport | undefined;
  selfId: string | undefined;
  displayName: string;
  participants: Record<string, Participant>;
  local: LocalUiState;
  devices: DeviceLists;
  closedReason: ClosedReason | undefined;
  /** True while we share our screen. */
  sharingScreen: boolean;
  chat: { open: boolean; unread: number; lines: ChatLine[] };
  files: { open: boolean; transfers: Record<string, TransferSnapshot> };
  /** A short message for the live region ("Link copied"). */
  notice: string | undefined;
  /** Whether the server offers a TURN relay, and whether this participant wants relay only. */
  relay: { available: boolean; relayOnly: boolean };
  /** Layout choices on the call screen (ui/layout): who is pinned, the self-view, panels. */
  view: ViewState;
  /** Short-lived announcements (joins, leaves, chat previews); ui/Toasts.tsx expires them. */
  toasts: Toast[];
  /** Every name seen in this call by peer ID, kept after they leave ("to Bob (left)"). */
  knownNames: Record<string, string>;
  /** Who is in the room, as the server told the lobby (undefined: not known). */
  lobbyPeople: { names: string[]; capacity: number } | undefined;
  /** Lock and knock (door-state.ts). */
  door: DoorUiState;
  /** Peer messages dropped this call: invalid, over a rate limit, or over a cap. */
  droppedMessages: DropCounts;
  /**
   * The server speaks a newer protocol than this page: Parley was upgraded under us. The call
   * goes on (the server still seats the previous version); the page loads the new version when
   * the call ends, by a real reload instead of an in-page rejoin.
   */
  updateReady: boolean;
}

export interface ViewState {
  pinnedId: string | undefined;
  selfViewHidden: boolean;
  peopleOpen: boolean;
  /** A soft sound on joins and leaves; off by default. */
  presenceSound: boolean;
  /** Audio output device for remote audio (setSinkId), '' for the system default. */
  speakerId: string;
}

export interface Toast {
  id: number;
  kind: 'joined' | 'left' | 'chat';
  text: string;
}

export const initialLocalState: LocalUiState = {
  hasAudio: false,
  hasVideo: false,
  audioEnabled: false,
  videoEnabled: false,
  audioDeviceId: undefined,
  videoDeviceId: undefined,
  problem: undefined,
  level: 0,
  speaking: false,
  ready: false,
};

export const initialCallState: CallUiState = {
  phase: 'lobby',
  signaling: 'idle',
  signalingTransport: undefined,
  selfId: undefined,
  displayName: '',
  participants: {},
  local: initialLocalState,
  devices: { cameras: [], microphones: [], speakers: [] },
  closedReason: undefined,
  sharingScreen: false,
  chat: { open: false, unread: 0, lines: [] },
  files: { open: false, transfers: {} },
  notice: undefined,
  relay: { available: false, relayOnly: false },
  view: {
    pinnedId: undefined,
    selfViewHidden: false,
    peopleOpen: false,
    presenceSound: false,
    speakerId: '',
  },
  toasts: [],
  knownNames: {},
  lobbyPeople: undefined,
  door: initialDoorState,
  droppedMessages: NO_DROPS,
  updateReady: false,
};

export const useCallStore = create<CallUiState>()(() => initialCallState);
