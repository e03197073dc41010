import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { fetchCapabilities, NO_CAPABILITIES } from './api.js';
import type { Capabilities } from './api.js';
import { DroppedSpansNotice } from './components/DroppedSpansNotice.js';
import { parseTraceFile } from './model/trace-file.js';
import { navigate, onLinkClick, useLocation } from './router.js';
import { keepUploaded } from './uploads.js';
import { CompareView } from './views/CompareView.js';
import { ScenarioPanel } from './views/ScenarioPanel.js';
import { SearchView } from './views/SearchView.js';
import { SystemView } from './views/SystemView.js';
import { TraceView } from './views/TraceView.js';

function UploadButton() {
  const [error, setError] = useState<string>();
  const onChange = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const traces = parseTraceFile(await file.text());
      for (const t of traces) keepUploaded(t);
      setError(undefined);
      navigate(`/trace/${traces[0]!.traceID}?file=1`);
    } catch (err) {
      setError(`${file.name}: ${(err as Error).message}`);
    }
  };
  return (
    <label class="upload" title="Open a trace downloaded as Jaeger JSON">
      Open JSON…
      <input type="file" accept=".json,application/json" onChange={(e) => void onChange(e)} />
      {error && <span class="upload-error">{error}</span>}
    </label>
  );
}

function App() {
  const loc = useLocation();
  const [caps, setCaps] = useState<Capabilities>(NO_CAPABILITIES);
  useEffect(() => {
    fetchCapabilities().then(setCaps, () => undefined);
  }, []);
  useEffect(() => {
    if (loc.path === '/') navigate('/search', true);
  }, [loc.path]);

  const traceMatch = /^\/trace\/([^/]+)\/?$/.exec(loc.path);
  let view;
  if (traceMatch) {
    view = (
      <TraceView
        traceID={decodeURIComponent(traceMatch[1]!)}
        caps={caps}
        fromFile={loc.query.has('file')}
        chain={loc.query.has('chain')}
      />
    );
  } else if (loc.path.startsWith('/compare')) {
    view = <CompareView a={loc.query.get('a') ?? ''} b={loc.query.get('b') ?? ''} />;
  } else if (loc.path.startsWith('/scenario')) {
    view = <ScenarioPanel />;
  } else if (loc.path.startsWith('/system')) {
    view = <SystemView caps={caps} />;
  } else {
    view = <SearchView query={loc.query} />;
  }
  const tab = (path: string, label: string) => (
    <a href={path} class={loc.path.startsWith(path) ? 'tab active' : 'tab'}>
      {label}
    </a>
  );
  return (
    <div class="app" onClick={onLinkClick}>
      <header class="topbar">
        <a href="/search" class="brand">
          tracelab
        </a>
        <nav>
          {tab('/search', 'Search')}
          {tab('/compare', 'Compare')}
          {tab('/system', 'System')}
          {tab('/scenario', 'Scenario')}
        </nav>
        <UploadButton />
      </header>
      <DroppedSpansNotice />
      <main>{view}</main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
