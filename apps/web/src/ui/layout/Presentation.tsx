import { Maximize, Minimize } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { VideoView } from '../VideoView.tsx';

/** Someone else's shared screen: fitted, never cropped, with their name and a fullscreen button. */
export function Presentation({
  streamKey,
  name,
  small = false,
}: {
  streamKey: string;
  name: string;
  small?: boolean;
}) {
  const ref = useRef<HTMLElement>(null);
  const [fullscreen, setFullscreen] = useState(false);
  useEffect(() => {
    const update = () => setFullscreen(document.fullscreenElement === ref.current);
    document.addEventListener('fullscreenchange', update);
    return () => document.removeEventListener('fullscreenchange', update);
  }, []);
  const label = `Screen shared by ${name}`;
  return (
    <section
      ref={ref}
      role="group"
      aria-label={label}
      className={small ? 'presentation small' : 'presentation'}
    >
      <VideoView streamId={streamKey} mirror={false} label={label} />
      <div className="presentation-bar">
        <span className="presenter-name">{name} is presenting</span>
        {!small && 'requestFullscreen' in HTMLElement.prototype && (
          <button
            type="button"
            className="tile-button"
            aria-label={fullscreen ? 'Exit full screen' : 'Full screen'}
            title={fullscreen ? 'Exit full screen' : 'Full screen'}
            onClick={() =>
              void (
                fullscreen ? document.exitFullscreen() : ref.current?.requestFullscreen()
              )?.catch(() => undefined)
            }
          >
            {fullscreen ? (
              <Minimize aria-hidden="true" size={18} />
            ) : (
              <Maximize aria-hidden="true" size={18} />
            )}
          </button>
        )}
      </div>
    </section>
  );
}
