import { useState, type FormEvent } from 'react';
import { ApiError, request } from '../api/client.ts';
import { PROJECTS, type ProjectsData } from '../api/queries.ts';

/** Asks for an API token (or JWT) and checks it by listing the projects it can read. */
export function SignIn({ message, onSignIn }: { message: string | null; onSignIn(token: string, projects: ProjectsData['projects']): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const data = await request<ProjectsData>(token.trim(), PROJECTS);
      onSignIn(token.trim(), data.projects);
    } catch (e) {
      setError(e instanceof ApiError && e.kind === 'unauthenticated' ? 'This token was refused: it is unknown, revoked or expired.' : e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Pedigree lineage explorer</h1>
        <p className="muted">Sign in with an API token or a JWT. It is kept for this browser tab only.</p>
        {message && (
          <p className="error-text" role="alert">
            {message}
          </p>
        )}
        <label htmlFor="token">Token</label>
        <input id="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required autoFocus />
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
