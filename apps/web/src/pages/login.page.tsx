/**
 * Sign in the way the server says (GET /api/v1/auth/config): with a local account, or with a
 * Supabase account (Supabase Auth checks the password, then our server names the role the token
 * carries); with another identity provider there is no form here. "Remember me" keeps the
 * session after the browser closes.
 */
import type { AuthConfig, LoginResponse } from '@nilm/contracts';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import { LanguagePicker } from '../components/language.picker.js';
import { ErrorState, Loading } from '../components/states.js';
import { createApiClient } from '../lib/api.client.js';
import { createSupabaseAuth } from '../lib/supabase.auth.js';
import { useAuthConfig } from '../state/queries.js';
import { useSession, type SupabaseSessionPart } from '../state/session.js';

type SupabaseConfig = Extract<AuthConfig, { mode: 'supabase' }>;
type FormConfig = Exclude<AuthConfig, { mode: 'external' }>;

/** Password sign-in at Supabase Auth, then our role for its token from GET /api/v1/auth/me. */
async function signInWithSupabase(
  config: SupabaseConfig,
  email: string,
  password: string,
): Promise<{ res: LoginResponse; supabase: SupabaseSessionPart }> {
  const project = { url: config.supabase_url, anonKey: config.supabase_anon_key };
  const auth = createSupabaseAuth(project);
  const s = await auth.signInWithPassword(email, password);
  const ours = createApiClient({ getToken: () => s.access_token, onUnauthorized: () => undefined });
  let user: LoginResponse['user'];
  try {
    user = await ours.me();
  } catch (e) {
    // Our server refused the token (a misconfigured secret or issuer): end it at Supabase too.
    void auth.signOut(s.access_token);
    throw e;
  }
  return {
    res: { access_token: s.access_token, token_type: 'Bearer', expires_in: s.expires_in, user },
    supabase: { ...project, refreshToken: s.refresh_token },
  };
}

export default function LoginPage() {
  const { t } = useTranslation();
  const { session } = useSession();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const config = useAuthConfig();

  if (session) return <Navigate to={from} replace />;

  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center p-6">
      <div className="mb-1 flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-bold">NILM Monitor</h1>
        <LanguagePicker />
      </div>
      {config.error ? (
        <ErrorState error={config.error} onRetry={() => void config.refetch()} />
      ) : !config.data ? (
        <Loading label={t('login.loading')} />
      ) : config.data.mode === 'external' ? (
        <ExternalSignIn />
      ) : (
        <SignInForm config={config.data} />
      )}
    </main>
  );
}

/** Tokens come from another identity provider: nothing to sign in to here. */
function ExternalSignIn() {
  const { t } = useTranslation();
  return (
    <div className="space-y-3 text-sm text-slate-600 dark:text-slate-300">
      <p>
        {t('login.external')} <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      <p className="text-slate-500 dark:text-slate-400">
        {t('login.externalAdmins')} <code>SUPABASE_ANON_KEY</code> {t('login.externalAdminsEnd')}
      </p>
    </div>
  );
}

function SignInForm({ config }: { config: FormConfig }) {
  const { t } = useTranslation();
  const { api, signIn } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const login = useMutation({
    mutationFn: async (): Promise<{ res: LoginResponse; supabase?: SupabaseSessionPart }> =>
      config.mode === 'supabase'
        ? signInWithSupabase(config, email, password)
        : { res: await api.login({ email, password }) },
    onSuccess: ({ res, supabase }) => signIn(res, remember, supabase),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  const input =
    'mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-base focus:border-emerald-500 focus:outline-2 focus:outline-emerald-500 dark:border-slate-700 dark:bg-slate-900';

  return (
    <>
      <p className="mb-6 text-sm text-slate-500 dark:text-slate-400">{t('login.intro')}</p>
      <form onSubmit={submit} className="space-y-4" aria-label={t('login.form')}>
        <label className="block text-sm font-medium">
          {t('login.email')}
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
          {t('login.password')}
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
          {t('login.remember')}
        </label>
        {login.error && <ErrorState error={login.error} />}
        <button
          type="submit"
          disabled={login.isPending}
          className="w-full rounded-md bg-emerald-700 px-4 py-2 font-semibold text-white hover:bg-emerald-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-600 disabled:opacity-60"
        >
          {login.isPending ? t('login.signingIn') : t('login.signIn')}
        </button>
        {config.mode === 'supabase' && (
          <p className="text-xs text-slate-500 dark:text-slate-400">
            {t('login.supabase', { host: new URL(config.supabase_url).host })}
          </p>
        )}
      </form>
    </>
  );
}
