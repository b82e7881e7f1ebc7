/** The app shell: onboarding and unlock until the vault is open, then a sidebar and the current screen. */
import { useEffect, useState } from 'react';
import { useSession } from './stores/session.dom.ts';
import { useNav, type View } from './stores/nav.dom.ts';
import { useLibrary } from './stores/library.dom.ts';
import { AgeCheck, CreateVault, RecoveryKey, Underage } from './screens/onboarding.dom.tsx';
import { Recover, Unlock } from './screens/unlock.dom.tsx';
import { Library, tabs } from './library/library.dom.tsx';
import { CharacterEditor } from './editors/character-editor.dom.tsx';
import { ScenarioEditor } from './editors/scenario-editor.dom.tsx';
import { PersonaEditor } from './editors/persona-editor.dom.tsx';
import { LorebookRecordEditor } from './editors/lorebook-record.dom.tsx';
import { ChatView } from './chat/chat-view.dom.tsx';
import { Providers } from './screens/providers.dom.tsx';
import { Presets } from './screens/presets.dom.tsx';
import { Settings } from './screens/settings.dom.tsx';
import { SyncScreen } from './screens/sync.dom.tsx';
import { GalleryScreen } from './gallery/gallery-screen.dom.tsx';
import { Ledger } from './screens/ledger.dom.tsx';
import { Privacy } from './screens/privacy.dom.tsx';
import { JoinDevice, RestoreFromRelay } from './screens/join.dom.tsx';
import { Wiped } from './screens/wipe.dom.tsx';
import { Toasts } from './components/toasts.dom.tsx';
import { confirmDialog, DialogHost } from './components/dialog.dom.tsx';
import { KeyboardMap } from './components/keyboard-map.dom.tsx';
import { RemovedDevice, SyncCorner, useRemoved } from './components/sync-corner.dom.tsx';

export function App() {
  const phase = useSession((s) => s.phase);
  const error = useSession((s) => s.error);
  const init = useSession((s) => s.init);
  useEffect(() => {
    void init();
  }, [init]);

  switch (phase) {
    case 'loading':
      return <p className="muted pad" role="status">Starting Mindstage…</p>;
    case 'offline':
      return (
        <main className="center-page">
          <section className="card" role="alert">
            <h1>Mindstage could not reach its core</h1>
            <p>{error}</p>
            <button type="button" className="primary" onClick={() => void init()}>
              Try again
            </button>
          </section>
        </main>
      );
    case 'no-access':
      return (
        <main className="center-page">
          <section className="card onboarding" role="alert">
            <p className="brand">Mindstage</p>
            <h1>This address no longer opens Mindstage</h1>
            <p>{error}</p>
          </section>
        </main>
      );
    case 'age':
      return <AgeCheck />;
    case 'underage':
      return <Underage />;
    case 'create':
      return <CreateVault />;
    case 'recovery':
      return <RecoveryKey />;
    case 'unlock':
      return <Unlock />;
    case 'recover':
      return <Recover />;
    case 'join':
      return <JoinDevice />;
    case 'restore':
      return <RestoreFromRelay />;
    case 'wiped':
      return <Wiped />;
    case 'ready':
      return <Ready />;
  }
}

function Ready() {
  const removed = useRemoved();
  return removed ? <RemovedDevice /> : <Shell />;
}

function Shell() {
  const view = useNav((s) => s.view);
  const navigate = useNav((s) => s.navigate);
  const lock = useSession((s) => s.lock);
  const theme = useSession((s) => s.theme);
  const setTheme = useSession((s) => s.setTheme);
  const darkNow = theme === 'dark' || (theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);

  const lockNow = async () => {
    if (useNav.getState().dirty && !(await confirmDialog({ title: 'Unsaved changes', body: 'You have unsaved changes. Lock anyway and lose them?', confirm: 'Lock and lose them', danger: true }))) return;
    // Deletions waiting out their undo window happen now, before the keys go away.
    await useLibrary.getState().flushDeletes();
    await lock();
  };

  const current = (v: View) => view.name === v.name && (v.name !== 'library' || (view.name === 'library' && view.tab === v.tab));
  // Below 720 px the navigation folds into a menu (CSS decides the width; this only remembers whether it is open).
  const [menuOpen, setMenuOpen] = useState(false);
  const go = (v: View) => {
    if (navigate(v)) setMenuOpen(false);
  };
  useEffect(() => {
    if (!menuOpen) return;
    const close = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setMenuOpen(false);
      document.getElementById('menu-button')?.focus();
    };
    window.addEventListener('keydown', close);
    return () => window.removeEventListener('keydown', close);
  }, [menuOpen]);
  const item = (label: string, v: View) => (
    <li key={label}>
      <button type="button" aria-current={current(v) ? 'page' : undefined} onClick={() => go(v)}>
        {label}
      </button>
    </li>
  );
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <nav className={`sidebar${menuOpen ? ' open' : ''}`} aria-label="Main">
        <div className="sidebar-top">
          <p className="brand">Mindstage</p>
          <SyncCorner onOpen={() => go({ name: 'sync' })} />
          <button type="button" id="menu-button" className="menu-button" aria-expanded={menuOpen} aria-controls="main-menu" onClick={() => setMenuOpen(!menuOpen)}>
            Menu
          </button>
        </div>
        <div id="main-menu" className="menu">
          <ul>
            {tabs.map((t) => item(t.label, { name: 'library', tab: t.kind }))}
            {item('Providers', { name: 'providers' })}
            {item('Presets', { name: 'presets' })}
            {item('Public gallery', { name: 'gallery' })}
            {item('Sync & devices', { name: 'sync' })}
            {item('Privacy', { name: 'privacy' })}
            {item('Privacy ledger', { name: 'ledger' })}
            {item('Settings', { name: 'settings' })}
          </ul>
          <div className="sidebar-foot">
            <button type="button" className="toggle" onClick={() => void setTheme(darkNow ? 'light' : 'dark').catch(() => undefined)} aria-pressed={darkNow}>
              Dark theme
              <span className="switch" aria-hidden="true" />
            </button>
            <button type="button" onClick={() => void lockNow()}>
              Lock vault
            </button>
          </div>
        </div>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Screen view={view} />
      </main>
      <Toasts />
      <DialogHost />
      <KeyboardMap />
    </div>
  );
}

function Screen({ view }: { view: View }) {
  switch (view.name) {
    case 'library':
      return <Library tab={view.tab} />;
    case 'character':
      return <CharacterEditor key={view.id ?? 'new'} id={view.id} />;
    case 'scenario':
      return <ScenarioEditor key={view.id ?? 'new'} id={view.id} />;
    case 'persona':
      return <PersonaEditor key={view.id ?? 'new'} id={view.id} />;
    case 'lorebook':
      return <LorebookRecordEditor key={view.id ?? 'new'} id={view.id} />;
    case 'chat':
      return <ChatView id={view.id} find={view.find} />;
    case 'providers':
      return <Providers />;
    case 'presets':
      return <Presets />;
    case 'settings':
      return <Settings />;
    case 'sync':
      return <SyncScreen />;
    case 'ledger':
      return <Ledger />;
    case 'privacy':
      return <Privacy />;
    case 'gallery':
      return <GalleryScreen />;
  }
}
