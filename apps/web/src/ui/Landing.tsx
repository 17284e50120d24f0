import { createRoomId } from '@parley/protocol';
import { navigate } from './navigation.ts';

export function Landing() {
  return (
    <main className="page">
      <h1>Parley</h1>
      <p>
        Private video calls that go straight between browsers. No account, no install: start a call
        and share the link.
      </p>
      <button type="button" className="primary" onClick={() => navigate(`/r/${createRoomId()}`)}>
        New call
      </button>
    </main>
  );
}
