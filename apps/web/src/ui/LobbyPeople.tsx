import { useCallStore } from '../state/call-store.ts';

const list = new Intl.ListFormat(undefined, { style: 'long', type: 'conjunction' });

/** "Ada and Bob are in this call": what the server told the lobby (only link holders see it). */
export function LobbyPeople() {
  const people = useCallStore((s) => s.lobbyPeople);
  if (!people) return <p className="lobby-people" aria-live="polite" />;
  const { names, capacity } = people;
  const text =
    names.length === 0
      ? 'No one else is here yet.'
      : names.length >= capacity
        ? `This call is full (${list.format(names)}).`
        : `${list.format(names)} ${names.length === 1 ? 'is' : 'are'} in this call.`;
  return (
    <p className="lobby-people" aria-live="polite">
      {text}
    </p>
  );
}
