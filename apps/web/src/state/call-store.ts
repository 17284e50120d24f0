import { create } from 'zustand';
import type { Participant } from '../call/call-session.ts';
import type { ClosedReason, SignalingStatus } from '../call/signaling-client.ts';

/** Serialisable UI state only: no sockets, peers or streams ever live here. */
export type CallPhase = 'lobby' | 'in-call' | 'left' | 'refused';

export interface CallUiState {
  phase: CallPhase;
  signaling: SignalingStatus | 'idle';
  selfId: string | undefined;
  participants: Record<string, Participant>;
  closedReason: ClosedReason | undefined;
}

export const initialCallState: CallUiState = {
  phase: 'lobby',
  signaling: 'idle',
  selfId: undefined,
  participants: {},
  closedReason: undefined,
};

export const useCallStore = create<CallUiState>()(() => initialCallState);
