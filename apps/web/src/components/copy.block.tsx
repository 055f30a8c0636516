/**
 * Text to copy (a secret, a command) with a Copy button. The button writes to the clipboard and
 * says "Copied"; where the clipboard is unavailable (plain http, old browsers, denied) it selects
 * the text instead and says how to copy it by hand.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

type CopyState = 'idle' | 'copied' | 'selected';

/** Select every character of `el` so that Ctrl+C / Cmd+C copies it. */
function selectText(el: HTMLElement): void {
  const selection = window.getSelection();
  if (!selection) return;
  const range = document.createRange();
  range.selectNodeContents(el);
  selection.removeAllRanges();
  selection.addRange(range);
}

export function CopyBlock({
  label,
  text,
  secret = false,
}: {
  /** What the text is: names the block and its button ("Copy token"). */
  label: string;
  text: string;
  /** A one-line secret: shown in a monospace box that wraps rather than scrolls. */
  secret?: boolean;
}) {
  const { t, i18n } = useTranslation();
  const id = useId();
  const pre = useRef<HTMLPreElement>(null);
  const [state, setState] = useState<CopyState>('idle');
  useEffect(() => {
    if (state !== 'copied') return;
    const t = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(t);
  }, [state]);

  const copy = async () => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      if (pre.current) {
        pre.current.focus();
        selectText(pre.current);
      }
      setState('selected');
    }
  };

  return (
    <div>
      <div className="mb-1 flex items-center justify-between gap-2">
        <span id={`${id}-label`} className="text-sm font-medium">
          {label}
        </span>
        <div className="flex items-center gap-2">
          <span role="status" className="text-right text-xs text-emerald-700 dark:text-emerald-300">
            {state === 'copied' ? t('copy.copied') : state === 'selected' ? t('copy.selected') : ''}
          </span>
          <button
            type="button"
            onClick={() => void copy()}
            // German nouns keep their capital.
            aria-label={t('copy.label', {
              what: i18n.language === 'de' ? label : label.toLowerCase(),
            })}
            className="rounded-md border border-slate-300 px-2 py-0.5 text-xs font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:hover:bg-slate-800"
          >
            {t('copy.copy')}
          </button>
        </div>
      </div>
      <pre
        ref={pre}
        tabIndex={0}
        aria-labelledby={`${id}-label`}
        className={`rounded-md border border-slate-200 bg-slate-50 p-2 font-mono text-xs focus:outline-2 focus:outline-emerald-500 dark:border-slate-700 dark:bg-slate-950 ${
          secret ? 'break-all whitespace-pre-wrap' : 'overflow-x-auto whitespace-pre'
        }`}
      >
        {text}
      </pre>
    </div>
  );
}
