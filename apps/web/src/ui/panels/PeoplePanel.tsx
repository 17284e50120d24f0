import { Mic, MicOff, Video, VideoOff } from 'lucide-react';
import type { ReactNode } from 'react';
import type { Participant } from '../../call/call-session.ts';
import { useCallStore } from '../../state/call-store.ts';
import { openPanel } from '../../state/view-actions.ts';
import { SidePanel } from './SidePanel.tsx';

const CONNECTION_TEXT: Record<Participant['connection'], string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  unreachable: 'Could not connect',
  failed: 'Connection lost',
};

/**
 * Everyone in the call with their microphone, camera and connection state. `personActions`
 * is the slot for per-person entry points (e.g. "Verify <name>" once verification lands).
 */
export function PeoplePanel({
  personActions,
}: {
  personActions?: (participant: Participant) => ReactNode;
}) {
  const participants = useCallStore((s) => s.participants);
  const local = useCallStore((s) => s.local);
  const displayName = useCallStore((s) => s.displayName);
  const people = Object.values(participants);
  const count = people.length + 1;
  return (
    <SidePanel
      title="People"
      heading={`People (${count})`}
      className="people-panel"
      onClose={() => openPanel(undefined)}
    >
      <ul className="people-list panel-scroll" aria-label={`${count} in the call`}>
        <PersonRow
          name={`${displayName} (you)`}
          audio={local.audioEnabled}
          video={local.videoEnabled}
          connection="This device"
        />
        {people.map((p) => (
          <PersonRow
            key={p.id}
            name={p.displayName}
            audio={p.audio}
            video={p.video}
            connection={CONNECTION_TEXT[p.connection]}
            connectionState={p.connection}
            actions={personActions?.(p)}
          />
        ))}
      </ul>
    </SidePanel>
  );
}

function PersonRow({
  name,
  audio,
  video,
  connection,
  connectionState,
  actions,
}: {
  name: string;
  audio: boolean;
  video: boolean;
  connection: string;
  connectionState?: Participant['connection'];
  actions?: ReactNode;
}) {
  return (
    <li className="person" data-connection={connectionState ?? 'self'}>
      <span className="person-name">{name}</span>
      <span className="person-state">
        <span role="img" aria-label={audio ? 'Microphone on' : 'Microphone off'}>
          {audio ? <Mic aria-hidden="true" size={16} /> : <MicOff aria-hidden="true" size={16} />}
        </span>
        <span role="img" aria-label={video ? 'Camera on' : 'Camera off'}>
          {video ? (
            <Video aria-hidden="true" size={16} />
          ) : (
            <VideoOff aria-hidden="true" size={16} />
          )}
        </span>
        <span className="person-connection">{connection}</span>
      </span>
      {actions}
    </li>
  );
}
