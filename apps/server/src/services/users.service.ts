/**
 * What this server keeps of people who sign in with an external identity provider (JWKS, HS256,
 * Supabase): they are known by their token's `sub`, and their e-mail is remembered from the
 * token so that an owner can add them to a building by address. Local accounts are never
 * touched here: their e-mail is managed on this server (POST /api/v1/admin/users).
 */
import { ConflictError, type MetadataStore } from '@nilm/stores';
import type { RequestCaller } from '../route.guards.js';

type UserCaller = Extract<RequestCaller, { kind: 'user' }>;

/** Where a refused address is reported (the request's logger). */
export interface UsersServiceLog {
  warn: (obj: object, msg: string) => void;
}

/** What `rememberExternalUser` did, for logs and tests. */
export type RememberOutcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  /** A local account, no usable `email` claim, or one the token marks unverified. */
  | 'skipped'
  /** Another user already holds the address; nothing was written. */
  | 'conflict';

// Wide enough for any real address; the claim comes from a verified token, this only keeps out
// values that could never be matched against what an owner types.
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MAX_EMAIL_LENGTH = 320;

/**
 * Record (or update) the user record of an externally signed-in caller with the `email` claim of
 * their verified token, writing only when the stored address is missing or differs. An existing
 * record keeps its stored role; a new one takes the token's role (as everywhere else, the
 * token's role is what authorizes a request). Another user already holding the address is
 * logged and leaves everything as it was: the caller is still signed in.
 */
export async function rememberExternalUser(
  metadata: MetadataStore,
  caller: UserCaller,
  log?: UsersServiceLog,
): Promise<RememberOutcome> {
  if (caller.source === 'local') return 'skipped';
  const email = caller.email?.trim() ?? '';
  if (caller.emailVerified === false || email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email))
    return 'skipped';
  const stored = await metadata.getUser(caller.userId);
  // A password means a local account under the same id: its e-mail is not the token's to set.
  if (stored?.passwordHash) return 'skipped';
  if (stored?.email === email) return 'unchanged';
  try {
    await metadata.upsertUser({
      id: caller.userId,
      email,
      role: stored?.role ?? caller.role,
      passwordHash: null,
    });
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    log?.warn(
      { user_id: caller.userId },
      'the e-mail in this user\'s token already belongs to another user here; it was not recorded, so owners cannot add this user by e-mail (add them by "user_id")',
    );
    return 'conflict';
  }
  return stored ? 'updated' : 'created';
}

/**
 * Make sure an externally signed-in `caller` has a user record, with or without an e-mail claim
 * (the claim is recorded as `rememberExternalUser` does). A membership needs the record. Errors
 * propagate.
 */
export async function ensureExternalUser(
  metadata: MetadataStore,
  caller: UserCaller,
  log?: UsersServiceLog,
): Promise<void> {
  if (caller.source === 'local') return;
  const outcome = await rememberExternalUser(metadata, caller, log);
  // No usable e-mail, or it belongs to someone else: a record without one (an upsert on an
  // existing id updates, it never fails).
  if ((outcome === 'skipped' || outcome === 'conflict') && !(await metadata.getUser(caller.userId)))
    await metadata.upsertUser({
      id: caller.userId,
      email: null,
      role: caller.role,
      passwordHash: null,
    });
}

/** How many external user ids one process remembers as recorded before asking the store again. */
const KNOWN_USERS_CACHE = 10_000;

/**
 * Records every externally signed-in user on their first authenticated request. Ids this
 * process has already recorded are skipped without a store query.
 */
export class ExternalUsers {
  private readonly known = new Set<string>();

  constructor(private readonly metadata: MetadataStore) {}

  /**
   * `ensureExternalUser` once per user id; a store failure is logged and the request goes on
   * (it is tried again on the next one): a route that needs the record ensures it itself.
   */
  async record(caller: UserCaller, log: UsersServiceLog): Promise<void> {
    if (caller.source === 'local' || this.known.has(caller.userId)) return;
    try {
      await ensureExternalUser(this.metadata, caller, log);
    } catch (e) {
      log.warn({ err: e, user_id: caller.userId }, 'could not record an external user');
      return;
    }
    if (this.known.size >= KNOWN_USERS_CACHE) this.known.clear();
    this.known.add(caller.userId);
  }
}
