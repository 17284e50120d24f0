import { PROTOCOL_VERSION, decodeServerMessage, encodeMessage } from '@parley/protocol';
import WebSocket from 'ws';

/**
 * A participant in its own process, so a test can freeze it (SIGSTOP: it stops reading and stops
 * answering pings, but the kernel keeps its socket open) or kill it (SIGKILL) like a crashed tab.
 *
 *   node --import tsx held-client.ts <server-url> <room-id>
 *
 * Prints one JSON line per event on stdout: {"event":"joined","selfId":...} and
 * {"event":"closed","code":...}.
 */

const [baseUrl, roomId] = process.argv.slice(2);
if (!baseUrl || !roomId) {
  console.error('usage: held-client.ts <server-url> <room-id>');
  process.exit(2);
}

const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, {
  origin: baseUrl,
  perMessageDeflate: false,
});
const report = (event: Record<string, unknown>) => console.log(JSON.stringify(event));

socket.on('open', () => {
  socket.send(
    encodeMessage({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: 'held' }),
  );
});
socket.on('message', (data) => {
  const decoded = decodeServerMessage(data.toString());
  if (decoded.ok && decoded.message.type === 'joined')
    report({ event: 'joined', selfId: decoded.message.selfId });
});
socket.on('close', (code) => {
  report({ event: 'closed', code });
  process.exit(0);
});
socket.on('error', (error) => {
  report({ event: 'error', message: error.message });
});
