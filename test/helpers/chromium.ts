import fs from 'node:fs';

/** Debian's Chromium, driven by playwright-core (which never downloads a browser). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a headless run as root in a container, with nothing talking to the network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

// In CI the browser is installed by .ci/install-chromium.sh, so its absence is a failure there.
export const chromiumMissing = !fs.existsSync(CHROMIUM) && !process.env.CI;
export const chromiumSkipNote = chromiumMissing ? ' (skipped: /usr/bin/chromium missing; run .ci/install-chromium.sh)' : '';
