import { MAX_CHAT_LENGTH } from '@parley/protocol';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { sendChat, setChatOpen } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import { PanelHeader } from './PanelHeader.tsx';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** Chat over the peer data channels. Text is rendered as text only, never as HTML. */
export function ChatPanel() {
  const lines = useCallStore((s) => s.chat.lines);
  const [draft, setDraft] = useState('');
  const logRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    logRef.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [lines.length]);

  function submit(event: FormEvent) {
    event.preventDefault();
    sendChat(draft);
    setDraft('');
  }

  return (
    <aside className="side-panel chat-panel" aria-label="Chat">
      <PanelHeader title="Chat" onClose={() => setChatOpen(false)} />
      <ol ref={logRef} role="log" aria-label="Chat messages" className="chat-log">
        {lines.map((line) => (
          <li
            key={`${line.fromId}:${line.id}`}
            className={line.self ? 'chat-line self' : 'chat-line'}
          >
            <span className="chat-sender">{line.self ? 'You' : <bdi>{line.fromName}</bdi>}</span>{' '}
            <time dateTime={new Date(line.sentAt).toISOString()}>
              {timeFormat.format(line.sentAt)}
            </time>
            <p className="chat-text">{line.text}</p>
          </li>
        ))}
      </ol>
      <form className="chat-form" onSubmit={submit}>
        <label htmlFor="chat-message" className="visually-hidden">
          Message
        </label>
        <input
          id="chat-message"
          value={draft}
          maxLength={MAX_CHAT_LENGTH}
          autoComplete="off"
          placeholder="Message everyone"
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" disabled={draft.trim() === ''}>
          Send
        </button>
      </form>
    </aside>
  );
}
