/**
 * Reads the checked examples out of a Markdown page (docs/protocol.md): under the `## Examples`
 * heading, each `### ` section is one scenario, made of fenced ```json blocks marked
 * `from=<connection>` (a frame that connection sends) or `to=<connection>` (the next frame it
 * receives), and `<!-- example: … -->` comments for what is not a frame. Anything that looks
 * like a marker but is not understood is an error, so a typo cannot silently skip a check.
 */

export type ExampleStep =
  | { kind: 'send'; actor: string; frame: unknown; line: number }
  | { kind: 'receive'; actor: string; frame: unknown; line: number }
  /** The connection ends without a close frame (a network drop). */
  | { kind: 'drop'; actor: string; line: number }
  /** Nothing but what the page shows has reached this connection. */
  | { kind: 'nothing-more'; actor: string; line: number }
  | { kind: 'closed'; actor: string; code: number; line: number };

export interface ExampleScenario {
  title: string;
  line: number;
  /** Server settings the scenario needs, from `<!-- example server: NAME=value … -->`. */
  env: Record<string, string>;
  steps: ExampleStep[];
}

const FENCE = /^```(\S*)\s*(.*)$/;
const DIRECTIVE = /^<!--\s*example(?:\s+server)?:.*-->\s*$/;

export function extractExampleScenarios(markdown: string): ExampleScenario[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === '## Examples');
  if (start < 0) throw new Error('no "## Examples" section');
  const scenarios: ExampleScenario[] = [];
  let current: ExampleScenario | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = i + 1;
    if (line.startsWith('## ')) break;
    if (line.startsWith('### ')) {
      current = { title: line.slice(4).trim(), line: lineNo, env: {}, steps: [] };
      scenarios.push(current);
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      if (end < 0) throw new Error(`line ${lineNo}: unclosed code block`);
      const body = lines.slice(i + 1, end).join('\n');
      i = end;
      const marker = fence[2]!.trim();
      if (marker === '') continue; // an illustration, not a checked frame
      const step = /^(from|to)=([a-z0-9]+)$/.exec(marker);
      if (fence[1] !== 'json' || !step)
        throw new Error(`line ${lineNo}: unknown example marker "${fence[1]} ${marker}"`);
      if (!current) throw new Error(`line ${lineNo}: example outside a ### scenario`);
      let frame: unknown;
      try {
        frame = JSON.parse(body);
      } catch (error) {
        throw new Error(`line ${lineNo}: the example is not valid JSON`, { cause: error });
      }
      current.steps.push({
        kind: step[1] === 'from' ? 'send' : 'receive',
        actor: step[2]!,
        frame,
        line: lineNo,
      });
      continue;
    }
    if (!line.trimStart().startsWith('<!--')) continue;
    if (!DIRECTIVE.test(line.trim())) {
      if (/<!--\s*example/.test(line)) throw new Error(`line ${lineNo}: unreadable "${line}"`);
      continue;
    }
    if (!current) throw new Error(`line ${lineNo}: directive outside a ### scenario`);
    const text = /<!--\s*(.*?)\s*-->/.exec(line)![1]!;
    const server = /^example server:\s*(.+)$/.exec(text);
    if (server) {
      for (const pair of server[1]!.split(/\s+/)) {
        const [name, value] = pair.split('=');
        if (!name || value === undefined) throw new Error(`line ${lineNo}: bad setting "${pair}"`);
        current.env[name] = value;
      }
      continue;
    }
    const what = /^example:\s*([a-z0-9]+)\s+(.+)$/.exec(text);
    const actor = what?.[1];
    const verb = what?.[2];
    const closed = verb && /^is closed with (\d+)$/.exec(verb);
    if (actor && verb === 'drops') current.steps.push({ kind: 'drop', actor, line: lineNo });
    else if (actor && verb === 'receives nothing more')
      current.steps.push({ kind: 'nothing-more', actor, line: lineNo });
    else if (actor && closed)
      current.steps.push({ kind: 'closed', actor, code: Number(closed[1]), line: lineNo });
    else throw new Error(`line ${lineNo}: unknown directive "${text}"`);
  }
  return scenarios;
}
