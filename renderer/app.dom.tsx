/** The app shell: onboarding and unlock until the vault is open, then a sidebar and the current screen. */
import { useEffect } from 'react';
import { useSession } from './stores/session.dom.ts';
import { useNav, type View } from './stores/nav.dom.ts';
import { useLibrary } from './stores/library.dom.ts';
import { AgeCheck, CreateVault, RecoveryKey, Underage } from './screens/onboarding.dom.tsx';
import { Recover, Unlock } from './screens/unlock.dom.tsx';
import { Library, tabs } from './library/library.dom.tsx';
import { CharacterEditor } from './editors/character-editor.dom.tsx';
import { ScenarioEditor } from './editors/scenario-editor.dom.tsx';
import { PersonaEditor } from './editors/persona-editor.dom.tsx';
import { ChatView } from './chat/chat-view.dom.tsx';
import { Providers } from './screens/providers.dom.tsx';
import { Settings } from './screens/settings.dom.tsx';
import { SyncScreen } from './screens/sync.dom.tsx';
import { Ledger } from './screens/ledger.dom.tsx';
import { JoinDevice, RestoreFromRelay } from './screens/join.dom.tsx';
import { Wiped } from './screens/wipe.dom.tsx';
import { Toasts } from './components/toasts.dom.tsx';

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
      return <Shell />;
  }
}

function Shell() {
  const view = useNav((s) => s.view);
  const navigate = useNav((s) => s.navigate);
  const lock = useSession((s) => s.lock);
  const theme = useSession((s) => s.theme);
  const setTheme = useSession((s) => s.setTheme);
  const darkNow = theme === 'dark' || (theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);

  const lockNow = async () => {
    if (useNav.getState().dirty && !window.confirm('You have unsaved changes. Lock anyway and lose them?')) return;
    // Deletions waiting out their undo window happen now, before the keys go away.
    await useLibrary.getState().flushDeletes();
    await lock();
  };

  const current = (v: View) => view.name === v.name && (v.name !== 'library' || (view.name === 'library' && view.tab === v.tab));
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <p className="brand">Mindstage</p>
        <ul>
          {tabs.map((t) => {
            const v: View = { name: 'library', tab: t.kind };
            return (
              <li key={t.kind}>
                <button type="button" aria-current={current(v) ? 'page' : undefined} onClick={() => navigate(v)}>
                  {t.label}
                </button>
              </li>
            );
          })}
          <li>
            <button type="button" aria-current={view.name === 'providers' ? 'page' : undefined} onClick={() => navigate({ name: 'providers' })}>
              Providers
            </button>
          </li>
          <li>
            <button type="button" aria-current={view.name === 'sync' ? 'page' : undefined} onClick={() => navigate({ name: 'sync' })}>
              Sync &amp; devices
            </button>
          </li>
          <li>
            <button type="button" aria-current={view.name === 'ledger' ? 'page' : undefined} onClick={() => navigate({ name: 'ledger' })}>
              Privacy ledger
            </button>
          </li>
          <li>
            <button type="button" aria-current={view.name === 'settings' ? 'page' : undefined} onClick={() => navigate({ name: 'settings' })}>
              Settings
            </button>
          </li>
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
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Screen view={view} />
      </main>
      <Toasts />
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
    case 'chat':
      return <ChatView id={view.id} />;
    case 'providers':
      return <Providers />;
    case 'settings':
      return <Settings />;
    case 'sync':
      return <SyncScreen />;
    case 'ledger':
      return <Ledger />;
  }
}
