import { MAX_CHAT_LENGTH } from '@parley/protocol';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { sendChat } from '../../state/call-controller.ts';
import { useCallStore } from '../../state/call-store.ts';
import { openPanel } from '../../state/view-actions.ts';
import { SidePanel } from '../panels/SidePanel.tsx';
import { linkify } from './linkify.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * Chat over the peer data channels. Text is rendered as text only, never as HTML; web
 * addresses become links that open in a new tab without telling the site where they came from.
 * The log scrolls inside the panel; opening the panel puts the cursor in the message box.
 */
export function ChatPanel() {
  const lines = useCallStore((s) => s.chat.lines);
  const [draft, setDraft] = useState('');
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => inputRef.current?.focus(), []);

  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [lines.length]);

  function submit(event: FormEvent) {
    event.preventDefault();
    sendChat(draft);
    setDraft('');
  }

  function close() {
    openPanel(undefined);
    // Back to the control that opened it, so keyboard users keep their place.
    document.querySelector<HTMLButtonElement>('.control-bar [aria-keyshortcuts="C"]')?.focus();
  }

  return (
    <SidePanel title="Chat" className="chat-panel" onClose={close}>
      {/* The log is a region of its own around the list, so the list keeps its list semantics. */}
      <div ref={logRef} role="log" aria-label="Chat messages" className="chat-log" tabIndex={0}>
        {lines.length === 0 && <p className="hint">Messages go to everyone in the call.</p>}
        <ol className="chat-lines">
          {lines.map((line) => (
            <li
              key={`${line.fromId}:${line.id}`}
              className={line.self ? 'chat-line self' : 'chat-line'}
            >
              <span className="chat-sender">{line.self ? 'You' : <bdi>{line.fromName}</bdi>}</span>{' '}
              <time dateTime={new Date(line.sentAt).toISOString()}>
                {timeFormat.format(line.sentAt)}
              </time>
              <p className="chat-text">
                {linkify(line.text).map((part, i) =>
                  'href' in part ? (
                    <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
                      {part.text}
                    </a>
                  ) : (
                    part.text
                  ),
                )}
              </p>
            </li>
          ))}
        </ol>
      </div>
      <form className="chat-form" onSubmit={submit}>
        <label htmlFor="chat-message" className="visually-hidden">
          Message
        </label>
        <input
          ref={inputRef}
          id="chat-message"
          value={draft}
          maxLength={MAX_CHAT_LENGTH}
          autoComplete="off"
          placeholder="Message everyone"
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" className="primary" disabled={draft.trim() === ''}>
          Send
        </button>
      </form>
    </SidePanel>
  );
}
