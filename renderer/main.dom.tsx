import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect, type RawTransport } from './lib/api.dom.ts';
import { App } from './app.dom.tsx';
import { listenForLock, startIdleLock } from './stores/session.dom.ts';
import { listenForChat } from './stores/chat.dom.ts';
import { listenForChanges } from './stores/library.dom.ts';
import { listenForSync } from './stores/sync.dom.ts';
import './styles.css';
import './story.css';

// The transport lives in renderer/api/client.dom.ts (Electron preload or browser-mode WebSocket). It is found
// by a glob so this entry builds and type-checks on its own; where no client module is present, the typed API
// the preload (or a test harness) put on `window.mindstage` is used.
const clients = import.meta.glob<{ api: unknown }>('./api/client.dom.ts', { eager: true });
const transport = (Object.values(clients)[0]?.api ?? (window as { mindstage?: unknown }).mindstage) as RawTransport | undefined;

if (transport) connect(transport);
listenForLock();
listenForChat();
listenForChanges();
listenForSync();
startIdleLock();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
