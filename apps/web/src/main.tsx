/** Entry point: mounts the app. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { startLanguage } from './i18n/i18n.setup.js';
import { startOfflineSupport } from './lib/offline.status.js';
import './index.css';

startOfflineSupport();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
const render = () =>
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
// English is bundled and ready at once; German or Dutch is one small chunk, rendered when it is
// here (or in English if it cannot be loaded) so the page never flashes from one to the other.
startLanguage().then(render, render);
