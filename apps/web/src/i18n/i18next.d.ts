// Type-checks every t('key') against the English catalogue: a key that does not exist fails tsc.
import 'i18next';
import type { en } from './en.catalogue.js';

declare module 'i18next' {
  interface CustomTypeOptions {
    resources: { translation: typeof en };
  }
}
