/**
 * "Notify this device": subscribes this browser to the alerts of every building the person is a
 * member of (where the building's Web Push channel is on), or stops them. Says plainly when the
 * browser cannot, or when notifications are blocked and how to allow them.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  browserPush,
  pushState,
  subscribeDevice,
  unsubscribeDevice,
  type PushBrowser,
  type PushState,
} from '../lib/push.client.js';
import { useSession } from '../state/session.js';
import { primaryButton, secondaryButton } from './form.helpers.js';

const note = 'text-sm text-slate-600 dark:text-slate-300';

/** `browser`: the Web Push to use (tests pass a fake, null for none); the browser's own by default. */
export function PushDevice({ browser: given }: { browser?: PushBrowser | null }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const [browser] = useState(() => (given === undefined ? browserPush() : (given ?? undefined)));
  const [state, setState] = useState<PushState | undefined>(browser ? undefined : 'unsupported');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    pushState(browser).then(
      (s) => live && setState(s),
      () => live && setState('off'),
    );
    return () => {
      live = false;
    };
  }, [browser]);

  const act = async (what: (b: PushBrowser) => Promise<void>) => {
    if (!browser) return;
    setBusy(true);
    setError(null);
    try {
      await what(browser);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    setState(await pushState(browser).catch((): PushState => 'off'));
    setBusy(false);
  };

  if (state === undefined) return <p className={note}>{t('push.checking')}</p>;
  return (
    <div className="grid gap-2">
      {state === 'unsupported' && <p className={note}>{t('push.unsupported')}</p>}
      {state === 'denied' && <p className={note}>{t('push.denied')}</p>}
      {state === 'off' && (
        <div className="flex flex-wrap items-center gap-3">
          <button
            type="button"
            className={primaryButton}
            disabled={busy}
            onClick={() => void act((b) => subscribeDevice(b, api))}
          >
            {t('push.notify')}
          </button>
          <span className={note}>{t('push.which')}</span>
        </div>
      )}
      {state === 'on' && (
        <div className="flex flex-wrap items-center gap-3">
          <span
            role="status"
            className="text-sm font-medium text-emerald-700 dark:text-emerald-400"
          >
            {t('push.on')}
          </span>
          <button
            type="button"
            className={secondaryButton}
            disabled={busy}
            onClick={() => void act((b) => unsubscribeDevice(b, api))}
          >
            {t('push.stop')}
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {error}
        </p>
      )}
    </div>
  );
}
