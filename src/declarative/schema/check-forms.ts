/**
 * Kong's data form of an entity check (`{at_least_one_of = {...}}`), kept beside our check
 * functions so `GET /schemas` can show the checks Kong shows. A check without one stays out of
 * the listing: a closure has no faithful data form.
 */
import type { EntityCheck } from './types.js'

/** One entity check as Kong serialises it: its kind as the only key. */
export type CheckForm = Readonly<Record<string, unknown>>

const FORMS = new WeakMap<EntityCheck, CheckForm>()

/** Records `form` as the data form of `check`, and returns the check. */
export function withCheckForm<C extends EntityCheck>(check: C, form: CheckForm): C {
  FORMS.set(check, form)
  return check
}

/** The data form of a check, when it has one. */
export function checkFormOf(check: EntityCheck): CheckForm | undefined {
  return FORMS.get(check)
}

/** A predicate or value rule of a conditional check, in Kong's `if_match`/`then_match` form. */
export type MatchForm = Readonly<Record<string, unknown>>

// Keyed by function: conditional checks take their `when` and `then` as functions.
const MATCHES = new WeakMap<object, MatchForm>()

/** Records `form` as the data form of a conditional's `when` or `then` function, and returns it. */
export function withMatchForm<F extends object>(fn: F, form: MatchForm): F {
  MATCHES.set(fn, form)
  return fn
}

/** The data form of a conditional's `when` or `then` function, when it has one. */
export function matchFormOf(fn: object): MatchForm | undefined {
  return MATCHES.get(fn)
}
