// Testing Library matchers, the dashboard's languages (English until a test picks another) and
// DOM cleanup between component tests.
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import './src/i18n/i18n.setup.js';

afterEach(() => {
  cleanup();
});
