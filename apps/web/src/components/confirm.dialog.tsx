/**
 * A button that asks before it does something that cannot be undone (revoke, remove, delete):
 * a modal dialog with Cancel (focused first) and the action. The dialog stays open, showing the
 * server's message, when the action fails.
 */
import * as Dialog from '@radix-ui/react-dialog';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorState } from './states.js';

export const dangerButton =
  'rounded-md border border-red-300 px-2 py-0.5 text-xs font-medium text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-red-500 disabled:opacity-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950';

export const dialogOverlay = 'fixed inset-0 z-30 bg-slate-950/50';
/** The dialog box; add a max-w-* class for its width (confirmations use max-w-lg). */
export const dialogContent =
  'fixed top-1/2 left-1/2 z-40 max-h-[90dvh] w-[calc(100vw-2rem)] -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-xl border border-slate-200 bg-white p-4 shadow-xl dark:border-slate-700 dark:bg-slate-900';

export function ConfirmButton({
  children,
  label,
  title,
  description,
  confirmLabel,
  onConfirm,
}: {
  /** The trigger's visible text. */
  children: ReactNode;
  /** The trigger's accessible name, e.g. "Revoke token meter". */
  label: string;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  /** Resolves when done (the dialog closes); rejects with the error to show. */
  onConfirm: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setOpen(false);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog.Root
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (!o) setError(null);
      }}
    >
      <Dialog.Trigger aria-label={label} className={dangerButton}>
        {children}
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className={dialogOverlay} />
        <Dialog.Content className={`${dialogContent} max-w-lg`}>
          <Dialog.Title className="text-lg font-semibold">{title}</Dialog.Title>
          <Dialog.Description className="mt-2 text-sm text-slate-600 dark:text-slate-300">
            {description}
          </Dialog.Description>
          {error !== null && (
            <div className="mt-3">
              <ErrorState error={error} />
            </div>
          )}
          <div className="mt-4 flex justify-end gap-2">
            <Dialog.Close className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:hover:bg-slate-800">
              {t('dialog.cancel')}
            </Dialog.Close>
            <button
              type="button"
              disabled={busy}
              onClick={() => void confirm()}
              className="rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-500 disabled:opacity-50"
            >
              {busy ? t('dialog.working') : confirmLabel}
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
