/** Preact with htm: components written as tagged templates, no build step. */
import { h, render, Fragment } from '../../vendor/preact.mjs';
import { useState, useEffect, useMemo, useRef, useCallback } from '../../vendor/preact-hooks.mjs';
import htm from '../../vendor/htm.mjs';

export const html = htm.bind(h);
export { render, Fragment, useState, useEffect, useMemo, useRef, useCallback };
