import fs from 'node:fs';
import { eventsMarkdown } from '../src/ingest/events-doc.ts';

// Regenerates docs/events.md from the field specs (src/ingest/events-doc.test.ts fails until it is).
fs.writeFileSync(new URL('../docs/events.md', import.meta.url), eventsMarkdown());
console.log('docs/events.md written');
