/** Sign in with a local account; "remember me" keeps the session after the browser closes. */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ErrorState } from '../components/states.js';
import { useSession } from '../state/session.js';

export default function LoginPage() {
  const { session, api, signIn } = useSession();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const login = useMutation({
    mutationFn: () => api.login({ email, password }),
    onSuccess: (res) => signIn(res, remember),
  });

  if (session) return <Navigate to={from} replace />;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  const input =
    'mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-base focus:border-emerald-500 focus:outline-2 focus:outline-emerald-500 dark:border-slate-700 dark:bg-slate-900';

  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center p-6">
      <h1 className="mb-1 text-2xl font-bold">NILM Monitor</h1>
      <p className="mb-6 text-sm text-slate-500 dark:text-slate-400">
        Sign in to see where your energy goes.
      </p>
      <form onSubmit={submit} className="space-y-4" aria-label="Sign in">
        <label className="block text-sm font-medium">
          E-mail
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            className={input}
          />
        </label>
        <label className="block text-sm font-medium">
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            className={input}
          />
        </label>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={remember}
            onChange={(e) => setRemember(e.target.checked)}
            className="size-4 accent-emerald-600"
          />
          Remember me on this device
        </label>
        {login.error && <ErrorState error={login.error} />}
        <button
          type="submit"
          disabled={login.isPending}
          className="w-full rounded-md bg-emerald-600 px-4 py-2 font-semibold text-white hover:bg-emerald-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-600 disabled:opacity-60"
        >
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
