import { create } from 'zustand';
import type { Participant } from '../call/call-session.ts';
import type { DeviceLists } from '../call/media/devices.ts';
import type { LocalMediaState } from '../call/media/local-media-session.ts';
import type { ClosedReason, SignalingStatus } from '../call/signaling-client.ts';

/** Serialisable UI state only: no sockets, peers or streams ever live here. */
export type CallPhase = 'lobby' | 'in-call' | 'left' | 'refused';

export interface LocalUiState extends LocalMediaState {
  /** Microphone level 0..1 for the meter. */
  level: number;
  speaking: boolean;
  /** False until the lobby has asked for the camera and microphone. */
  ready: boolean;
}

export interface CallUiState {
  phase: CallPhase;
  signaling: SignalingStatus | 'idle';
  selfId: string | undefined;
  displayName: string;
  participants: Record<string, Participant>;
  local: LocalUiState;
  devices: DeviceLists;
  closedReason: ClosedReason | undefined;
  /** A short message for the live region ("Link copied"). */
  notice: string | undefined;
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
  selfId: undefined,
  displayName: '',
  participants: {},
  local: initialLocalState,
  devices: { cameras: [], microphones: [] },
  closedReason: undefined,
  notice: undefined,
};

export const useCallStore = create<CallUiState>()(() => initialCallState);
