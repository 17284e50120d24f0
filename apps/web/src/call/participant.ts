import type { PeerInfo } from '@parley/protocol';
import type { LinkPhase } from './ice-recovery.ts';
import type { LinkStats } from './link-stats.ts';
import { UNVERIFIED, type Verification } from './verification/verification-state.ts';

/** A remote participant as the UI sees it: plain data only. */
export interface Participant {
  id: string;
  displayName: string;
  connection: LinkPhase;
  /** What the participant says it sends (from its media-state messages). */
  audio: boolean;
  video: boolean;
  speaking: boolean;
  stats: LinkStats | undefined;
  /** ICE restarts this side has started or requested on the link. */
  iceRestarts: number;
  /** The stream the participant says carries its screen share, or null. */
  screenStreamId: string | null;
  /** IDs of the remote streams received so far (camera, screen). */
  streamIds: string[];
  /** The verification code for this pair and whether the person was marked verified. */
  verification: Verification;
}

/** A chat message as the UI shows it. The sender is who the link belongs to, never a claim. */
export interface ChatEntry {
  id: string;
  fromId: string;
  text: string;
  /**
   * When this side sent or received it, by our own clock (ms since epoch). Never the sender's
   * `sentAt`: another peer's clock may be wrong, or a number chosen to break the page.
   */
  sentAt: number;
  self: boolean;
}

/** A participant the server just announced: connecting, nothing received yet. */
export function newParticipant(member: PeerInfo): Participant {
  return {
    id: member.id,
    displayName: member.displayName,
    connection: 'connecting',
    audio: false,
    video: false,
    speaking: false,
    stats: undefined,
    iceRestarts: 0,
    screenStreamId: null,
    streamIds: [],
    verification: UNVERIFIED,
  };
}
