import { ScreenShareOff } from 'lucide-react';
import { toggleScreenShare } from '../../state/call-controller.ts';
import { SELF_SCREEN } from '../../state/media-streams.ts';
import { VideoView } from '../VideoView.tsx';

/**
 * What the presenter sees instead of a full-size mirror of their own screen (which only
 * recurses): a banner, a small preview and a way to stop.
 */
export function PresentingBanner() {
  return (
    <div className="presenting-banner" role="region" aria-label="You are presenting">
      <section role="group" aria-label="Your screen" className="presenting-preview">
        <VideoView streamId={SELF_SCREEN} self mirror={false} label="Your screen" />
      </section>
      <p className="presenting-text">You are presenting</p>
      <button type="button" className="danger" onClick={() => void toggleScreenShare()}>
        <ScreenShareOff aria-hidden="true" size={18} /> Stop sharing
      </button>
    </div>
  );
}
