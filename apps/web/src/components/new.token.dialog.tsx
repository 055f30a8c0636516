/**
 * The one-time view of a new device token: its secret, which the server never shows again, and
 * commands (curl, mosquitto_pub) that send a reading with it, built from what the server's ingest
 * accepts.
 */
import type { DeviceTokenCreated } from '@nilm/contracts';
import * as Dialog from '@radix-ui/react-dialog';
import { useTranslation } from 'react-i18next';
import { formatCount } from '../lib/format.js';
import { ingestExamples } from '../lib/ingest.examples.js';
import { useIngestInfo } from '../state/queries.js';
import { dialogContent, dialogOverlay } from './confirm.dialog.js';
import { CopyBlock } from './copy.block.js';
import { primaryButton } from './form.helpers.js';
import { ErrorState, Loading } from './states.js';

/** The one-time view of a new token: the secret, and commands that send a reading with it. */
export function NewTokenDialog({
  buildingId,
  created,
  onClose,
}: {
  buildingId: string;
  created: DeviceTokenCreated;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const info = useIngestInfo();
  const examples = info.data
    ? ingestExamples({
        info: info.data,
        origin: window.location.origin,
        buildingId,
        token: created.token,
        fallbackHost: window.location.hostname,
      })
    : null;
  return (
    <Dialog.Root open onOpenChange={(o) => !o && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className={dialogOverlay} />
        <Dialog.Content className={`${dialogContent} max-w-2xl space-y-4`}>
          <Dialog.Title className="text-lg font-semibold">
            {t('building.tokenCreated', { name: created.name })}
          </Dialog.Title>
          <Dialog.Description className="text-sm text-slate-600 dark:text-slate-300">
            {t('building.copyNow')}
          </Dialog.Description>
          <CopyBlock label={t('building.token')} text={created.token} secret />
          {info.error ? (
            <ErrorState error={info.error} onRetry={() => void info.refetch()} />
          ) : !examples ? (
            <Loading label={t('building.loadingIngest')} />
          ) : (
            <>
              <section aria-labelledby="http-example" className="space-y-2">
                <h3 id="http-example" className="font-semibold">
                  {t('building.overHttp')}
                </h3>
                <CopyBlock label={t('building.curl')} text={examples.curl} />
                <p className="text-xs text-slate-500 dark:text-slate-400">
                  {t('building.upTo', { n: formatCount(info.data?.http.max_readings ?? 0) })}
                  <code> ts</code> {t('building.tsIs')} <code>power_w</code> {t('building.powerIs')}
                </p>
              </section>
              <section aria-labelledby="mqtt-example" className="space-y-2">
                <h3 id="mqtt-example" className="font-semibold">
                  {t('building.overMqtt')}
                </h3>
                {!examples.mqtt ? (
                  <p className="text-sm text-slate-600 dark:text-slate-300">
                    {t('building.mqttOff')}
                  </p>
                ) : (
                  <>
                    {examples.mqtt.command && (
                      <CopyBlock label={t('building.mosquitto')} text={examples.mqtt.command} />
                    )}
                    <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                      <dt className="text-slate-500 dark:text-slate-400">{t('building.broker')}</dt>
                      <dd className="break-all">{info.data?.mqtt.url}</dd>
                      <dt className="text-slate-500 dark:text-slate-400">{t('building.topic')}</dt>
                      <dd className="font-mono text-xs break-all">{examples.mqtt.topic}</dd>
                      <dt className="text-slate-500 dark:text-slate-400">
                        {t('building.payload')}
                      </dt>
                      <dd className="font-mono text-xs break-all">{examples.mqtt.payload}</dd>
                    </dl>
                    <ul className="list-disc space-y-1 pl-5 text-xs text-slate-600 dark:text-slate-300">
                      {examples.mqtt.notes.map((n) => (
                        <li key={n}>{n}</li>
                      ))}
                    </ul>
                  </>
                )}
              </section>
            </>
          )}
          <div className="flex justify-end">
            <Dialog.Close className={primaryButton}>{t('building.done')}</Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
