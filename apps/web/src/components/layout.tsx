/**
 * The signed-in frame: header with building picker, navigation, language, theme and account
 * menu. On a phone the language picker sits in the Menu.
 */
import * as DropdownMenu from '@radix-ui/react-dropdown-menu';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useLocation, useMatch, useNavigate, useParams } from 'react-router';
import { useBuildings } from '../state/queries.js';
import { useSession } from '../state/session.js';
import { useSettings, type Theme } from '../state/settings.js';
import { LanguagePicker } from './language.picker.js';
import { OfflineBanner } from './offline.banner.js';
import { useNarrow } from './responsive.table.js';
import { ErrorState } from './states.js';

const navLink = ({ isActive }: { isActive: boolean }) =>
  `rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-emerald-500 ${
    isActive
      ? 'bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200'
      : 'text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'
  }`;

const LAST_BUILDING = 'nilm.lastBuilding';

/** What the layout tells the pages it frames (React Router's outlet context). */
export interface LayoutContext {
  /** The building the header's picker shows: the URL's, else the last one chosen. */
  currentBuilding?: string;
}

/**
 * The main navigation: one row on a desk; on a phone a "Menu" button that opens the links as a
 * list (Escape closes it and returns focus to the button; choosing a page closes it).
 */
function MainNav({ children, inMenu }: { children: ReactNode; inMenu: ReactNode }) {
  const { t } = useTranslation();
  const narrow = useNarrow();
  const [open, setOpen] = useState(false);
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const { pathname } = useLocation();
  const [shownFor, setShownFor] = useState(pathname);
  // A new page closes the menu (adjusting state during render, not in an effect).
  if (pathname !== shownFor) {
    setShownFor(pathname);
    setOpen(false);
  }
  useEffect(() => {
    if (open) list.current?.querySelector('a')?.focus();
  }, [open]);
  if (!narrow)
    return (
      <nav
        aria-label={t('layout.mainNav')}
        className="order-last flex w-full flex-wrap gap-1 sm:order-none sm:w-auto"
      >
        {children}
      </nav>
    );
  return (
    <nav aria-label={t('layout.mainNav')} className="order-last w-full">
      <button
        ref={button}
        type="button"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
        className="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:border-slate-700 dark:hover:bg-slate-800"
      >
        <span aria-hidden="true">☰ </span>
        {t('layout.menu')}
      </button>
      {open && (
        <div
          ref={list}
          id={id}
          className="mt-2 flex flex-col gap-1 pb-1"
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            e.preventDefault();
            setOpen(false);
            button.current?.focus();
          }}
        >
          {children}
          <div className="px-3 pt-1">{inMenu}</div>
        </div>
      )}
    </nav>
  );
}

const nextTheme: Record<Theme, Theme> = { system: 'dark', dark: 'light', light: 'system' };
const themeKey = {
  system: 'layout.themeSystem',
  light: 'layout.themeLight',
  dark: 'layout.themeDark',
} as const satisfies Record<Theme, string>;

export function Layout() {
  const { t } = useTranslation();
  const narrow = useNarrow();
  const { buildingId } = useParams();
  const { session, signOut } = useSession();
  const { settings, update } = useSettings();
  const buildings = useBuildings();
  const navigate = useNavigate();
  // On Settings the picker chooses whose tariff is edited, so it stays on the page.
  const onSettings = useMatch('/settings') !== null;
  // A building missing from the person's list does not exist for them (or was deleted): the
  // page says so once, rather than every panel failing on its own.
  const known = (id: string) => buildings.data?.buildings.some((x) => x.id === id) ?? true;
  const unknown = buildingId !== undefined && !known(buildingId);
  // Pages without a building in the URL (Settings) keep the last one in the picker and nav.
  const [last, setLast] = useState(() => localStorage.getItem(LAST_BUILDING));
  useEffect(() => {
    if (buildingId && !unknown) localStorage.setItem(LAST_BUILDING, buildingId);
  }, [buildingId, unknown]);
  if (buildingId && !unknown && buildingId !== last) setLast(buildingId);
  const current = unknown
    ? undefined
    : (buildingId ?? (last && known(last) ? last : undefined) ?? buildings.data?.buildings[0]?.id);
  const b = current ? `/b/${encodeURIComponent(current)}` : undefined;

  return (
    <div className="min-h-dvh">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:p-2 dark:focus:bg-slate-900"
      >
        {t('layout.skip')}
      </a>
      <header className="sticky top-0 z-10 border-b border-slate-200 bg-white/90 backdrop-blur dark:border-slate-800 dark:bg-slate-950/90">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-2 px-4 py-2">
          <span className="mr-2 font-bold text-emerald-700 dark:text-emerald-400">
            NILM Monitor
          </span>
          <label className="flex items-center gap-1 text-sm">
            <span className="sr-only">{t('layout.building')}</span>
            <select
              value={current ?? ''}
              onChange={(e) => {
                if (onSettings) {
                  localStorage.setItem(LAST_BUILDING, e.target.value);
                  setLast(e.target.value);
                } else void navigate(`/b/${encodeURIComponent(e.target.value)}`);
              }}
              disabled={!buildings.data}
              className="max-w-[12rem] rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
            >
              {!current && <option value="">{t('layout.chooseBuilding')}</option>}
              {buildings.data?.buildings.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name}
                </option>
              ))}
            </select>
          </label>
          <MainNav inMenu={<LanguagePicker />}>
            {b && (
              <>
                <NavLink to={b} end className={navLink}>
                  {t('layout.dashboard')}
                </NavLink>
                <NavLink to={`${b}/appliances`} className={navLink}>
                  {t('layout.appliances')}
                </NavLink>
                <NavLink to={`${b}/reports`} className={navLink}>
                  {t('layout.reports')}
                </NavLink>
                <NavLink to={`${b}/alerts`} className={navLink}>
                  {t('layout.alerts')}
                </NavLink>
                <NavLink to={`${b}/settings`} className={navLink}>
                  {t('layout.buildingPage')}
                </NavLink>
              </>
            )}
            <NavLink to="/model" className={navLink}>
              {t('layout.model')}
            </NavLink>
            <NavLink to="/settings" className={navLink}>
              {t('layout.settings')}
            </NavLink>
            {session?.user.role === 'admin' && (
              <NavLink to="/admin" className={navLink}>
                {t('layout.admin')}
              </NavLink>
            )}
          </MainNav>
          <div className="ml-auto flex items-center gap-1">
            {!narrow && <LanguagePicker />}
            <button
              type="button"
              onClick={() => update({ theme: nextTheme[settings.theme] })}
              aria-label={t('layout.theme', {
                theme: t(themeKey[settings.theme]),
                next: t(themeKey[nextTheme[settings.theme]]),
              })}
              className="rounded-md px-2 py-1 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:hover:bg-slate-800"
            >
              {settings.theme === 'dark' ? '☾' : settings.theme === 'light' ? '☀' : '◐'}
            </button>
            <DropdownMenu.Root>
              <DropdownMenu.Trigger className="rounded-md px-2 py-1 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-emerald-500 dark:hover:bg-slate-800">
                {t('layout.account')}
              </DropdownMenu.Trigger>
              <DropdownMenu.Portal>
                <DropdownMenu.Content
                  align="end"
                  sideOffset={4}
                  className="z-20 min-w-48 rounded-md border border-slate-200 bg-white p-1 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900"
                >
                  <DropdownMenu.Label className="px-2 py-1 text-xs text-slate-500 dark:text-slate-400">
                    {session?.user.email ?? session?.user.id}
                  </DropdownMenu.Label>
                  <DropdownMenu.Item
                    onSelect={signOut}
                    className="cursor-pointer rounded px-2 py-1.5 outline-none data-[highlighted]:bg-slate-100 dark:data-[highlighted]:bg-slate-800"
                  >
                    {t('layout.signOut')}
                  </DropdownMenu.Item>
                </DropdownMenu.Content>
              </DropdownMenu.Portal>
            </DropdownMenu.Root>
          </div>
        </div>
        <OfflineBanner />
      </header>
      <main id="main" className="mx-auto max-w-7xl p-4">
        {buildings.error && (
          <ErrorState error={buildings.error} onRetry={() => void buildings.refetch()} />
        )}
        {unknown ? (
          <ErrorState error={t('layout.unknownBuilding', { id: buildingId })} />
        ) : (
          <Outlet context={{ currentBuilding: current } satisfies LayoutContext} />
        )}
      </main>
    </div>
  );
}
