// Test support: a phone-sized screen for components that follow `useNarrow` (jsdom has no
// matchMedia, so without this every component sees a desk).
import { vi } from 'vitest';
import { NARROW_QUERY } from '../components/responsive.table.js';

/** Makes `matchMedia` say the screen is phone-sized; undo with `vi.unstubAllGlobals()`. */
export function phoneScreen(): void {
  vi.stubGlobal('matchMedia', (query: string) => ({
    matches: query === NARROW_QUERY,
    media: query,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  }));
}
