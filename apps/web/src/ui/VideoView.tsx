import { useEffect, useRef } from 'react';
import { useCallStore } from '../state/call-store.ts';
import { useStream } from '../state/media-streams.ts';
import { markJoin } from '../state/timing-marks.ts';

interface VideoViewProps {
  streamId: string;
  /** Our own preview is muted (no echo) and mirrored (as people expect to see themselves). */
  self?: boolean;
  /** Mirror the picture (default: only our own camera). */
  mirror?: boolean;
  label: string;
  onVideo?: (video: HTMLVideoElement | null) => void;
}

/** Attaches a live MediaStream to a <video>. Remote audio plays through the same element. */
export function VideoView({
  streamId,
  self = false,
  mirror = self,
  label,
  onVideo,
}: VideoViewProps) {
  const entry = useStream(streamId);
  const ref = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    if (video.srcObject !== (entry?.stream ?? null)) video.srcObject = entry?.stream ?? null;
    if (entry) void video.play().catch(() => undefined); // autoplay may wait for a gesture
  }, [entry, entry?.version]);

  // Remote audio plays through this element: route it to the chosen speaker where supported.
  const speakerId = useCallStore((s) => s.view.speakerId);
  useEffect(() => {
    const video = ref.current as
      (HTMLVideoElement & { setSinkId?: (id: string) => Promise<void> }) | null;
    if (self || !video?.setSinkId || video.sinkId === speakerId) return;
    void video.setSinkId(speakerId).catch(() => undefined);
  }, [self, speakerId]);

  useEffect(() => {
    onVideo?.(ref.current);
    return () => onVideo?.(null);
  }, [onVideo]);

  return (
    <video
      ref={ref}
      className={mirror ? 'video mirrored' : 'video'}
      autoPlay
      playsInline
      muted={self}
      aria-label={label}
      onLoadedData={self ? undefined : () => markJoin('first-remote-frame')}
    />
  );
}
