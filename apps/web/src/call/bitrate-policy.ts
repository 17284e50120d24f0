/**
 * Outgoing video budget for a mesh. Every participant uploads one copy of its camera per
 * peer, so the per-link cap shrinks as the room grows to keep each sender's total upload
 * within TOTAL_VIDEO_BUDGET_BPS (2.4 Mbit/s: comfortable on typical home uplinks of 5+ Mbit/s,
 * leaving room for audio, screen share and files). Resolution drops too, so that the encoder
 * spends the smaller budget on fewer pixels rather than on blur.
 */
export const TOTAL_VIDEO_BUDGET_BPS = 2_400_000;
export const MAX_LINK_VIDEO_BPS = 1_200_000;

export interface VideoSendLimits {
  maxBitrate: number;
  scaleResolutionDownBy: number;
}

export function videoLimitsFor(participants: number): VideoSendLimits {
  const links = Math.max(1, participants - 1);
  return {
    maxBitrate: Math.min(MAX_LINK_VIDEO_BPS, Math.floor(TOTAL_VIDEO_BUDGET_BPS / links)),
    scaleResolutionDownBy: participants <= 3 ? 1 : participants === 4 ? 1.5 : 2,
  };
}
