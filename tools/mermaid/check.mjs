// Parse every ```mermaid block of the Markdown files named on the command line with
// mermaid itself, the library GitHub renders diagrams with, and name each block that
// does not parse by file and line. GitHub shows a broken diagram as an error box; this
// finds it before a reader does.
//
//   node check.mjs FILE.md...      exit 0: every block parses; 1: some don't; 2: usage,
//                                  or no block at all in the files given
//
// mermaid's flowchart code sanitizes labels through DOMPurify, which needs a DOM: jsdom
// gives it one. Nothing is rendered (no layout engine runs), so this checks syntax only.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node check.mjs FILE.md...');
  process.exit(2);
}

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

// Yields {line, text} for each fenced mermaid block; line is the block's first line (1-based).
function* mermaidBlocks(markdown) {
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```mermaid') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    if (end === lines.length) {
      yield { line: start + 1, text: null };
      return;
    }
    yield { line: start + 1, text: lines.slice(start, end).join('\n') };
    i = end;
  }
}

let blocks = 0;
let broken = 0;
for (const file of files) {
  for (const { line, text } of mermaidBlocks(readFileSync(file, 'utf8'))) {
    blocks++;
    if (text === null) {
      broken++;
      console.error(`${file}:${line}: mermaid block never closed`);
      continue;
    }
    try {
      await mermaid.parse(text);
    } catch (err) {
      broken++;
      const why = String(err?.message ?? err).split('\n').slice(0, 3).join(' / ');
      console.error(`${file}:${line}: ${why}`);
    }
  }
}

if (blocks === 0) {
  console.error(`error: no mermaid block in ${files.length} file(s): nothing was checked`);
  process.exit(2);
}
if (broken > 0) {
  console.error(`${broken} of ${blocks} mermaid blocks do not parse`);
  process.exit(1);
}
console.log(`==> mermaid: ${blocks} blocks in ${files.length} files parse`);
