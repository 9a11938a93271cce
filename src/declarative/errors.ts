/**
 * Config errors: a text that could not be read (ConfigParseError) or a document that is not a
 * valid configuration (DeclarativeConfigError, every problem with where it is: source, line,
 * column, entity path), as located lines and as Kong's 400 bodies.
 */
import { flattenIssues } from './error-flatten.js'
import { pathString, sortByPath } from './error-paths.js'
import { buildTree, luaPretty, prettyLines, toJson } from './error-tree.js'
import type { Path } from './schema/validate.js'
import { byPlace, type Locator } from './source-map.js'

/**
 * Most problems one error reports; the rest are counted. A generated config with a systematic
 * mistake can have a hundred thousand, and a body listing them all helps no one.
 */
export const MAX_REPORTED_ERRORS = 1000

/** The entity a problem concerns, as the user wrote it. */
export interface EntityOrigin {
  readonly collection: string
  readonly singular: string
  /** Document path of the entity (`['services', 0, 'routes', 1]`). */
  readonly at: Path
  /** The entity as written, for echoing in flattened errors. */
  readonly input: Readonly<Record<string, unknown>>
  /** Collections nested in this entity's input, dropped from the echo. */
  readonly nested: readonly string[]
  /** The parent's foreign key, added to the echo when the parent has an id. */
  readonly parent?: { readonly field: string; readonly id: unknown }
}

/**
 * How a problem sits in Kong's nested `fields` tree: a string at its key, an `@entity` list
 * entry under its key, or an entry of a list at its key (reference errors).
 */
export type IssueKind = 'field' | 'entity' | 'list'

/** One problem in a config. */
export interface ConfigIssue {
  readonly kind: IssueKind
  /** Where it goes in Kong's nested `fields` tree. */
  readonly key: Path
  /** Where it is in the document, for line, column and the entity path. */
  readonly at: Path
  readonly message: string
  readonly entity?: EntityOrigin
  /** Dot path of the field inside the entity; absent for entity-level problems. */
  readonly field?: string
  /** Our own wording, where Kong's message says little about the cause; shown in `details`. */
  readonly explanation?: string
  /** For a uniqueness violation, where the value was declared first: named when files are merged. */
  readonly firstAt?: Path
}

/** A problem with its place in the source, ready to print or serialize. */
export interface LocatedIssue {
  readonly source: string
  readonly line?: number
  readonly column?: number
  /** Entity path, e.g. `services[2].routes[0].paths[1]`. */
  readonly path: string
  readonly message: string
  /** What the message means here, where Kong's says little (e.g. the reference that names nothing). */
  readonly explanation?: string
}

/** The 400 body Kong sends for an invalid declarative config, plus our `details`. */
export interface KongConfigErrorBody {
  readonly code: 14
  readonly name: 'invalid declarative configuration'
  readonly message: string
  readonly fields: unknown
  readonly flattened_errors?: unknown[]
  /** Every reported problem with source, line, column and entity path. */
  readonly details: LocatedIssue[]
  /** How many problems were found beyond those reported. */
  readonly errors_not_shown?: number
}

/** A config text that could not be read; `line`/`column` are 1-based when known. */
export class ConfigParseError extends Error {
  constructor(
    readonly reason: string,
    readonly source: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`failed parsing declarative configuration: ${reason}`)
    this.name = 'ConfigParseError'
  }

  /** `source:line:column` where known. */
  get location(): string {
    return this.line === undefined ? this.source : `${this.source}:${this.line}:${this.column ?? 1}`
  }

  /** The one problem, located like a DeclarativeConfigError's. */
  located(): LocatedIssue[] {
    const at = this.line === undefined ? {} : { line: this.line, column: this.column ?? 1 }
    return [{ source: this.source, ...at, path: '(document)', message: this.message }]
  }
}

/** Thrown for any invalid config text: carries every problem found, never just the first. */
export class DeclarativeConfigError extends Error {
  /** Every problem found. */
  readonly issues: readonly ConfigIssue[]
  /** The problems reported, in document order: at most MAX_REPORTED_ERRORS. */
  readonly reported: readonly ConfigIssue[]
  readonly source: string
  readonly #locator: Locator

  constructor(issues: readonly ConfigIssue[], source: string, locator: Locator) {
    const reported = issues.length > MAX_REPORTED_ERRORS ? sortByPath(issues, (i) => i.at).slice(0, MAX_REPORTED_ERRORS) : issues
    super(`declarative config is invalid: ${luaPretty(buildTree(reported))}${notShown(issues.length - reported.length)}`)
    this.name = 'DeclarativeConfigError'
    this.issues = issues
    this.reported = reported
    this.source = source
    this.#locator = locator
  }

  /** How many problems are not reported. */
  get notShown(): number {
    return this.issues.length - this.reported.length
  }

  /** The reported problems with source, line, column and entity path, in document order. */
  located(): LocatedIssue[] {
    return locateIssues(this.reported, this.#locator)
  }

  /** Kong's nested `fields` tree. */
  fields(): unknown {
    return toJson(buildTree(this.reported))
  }

  /** The HTTP 400 body: Kong's nested form, or with `flatten` the flattened form. */
  toKongBody(flatten = false): KongConfigErrorBody {
    const details = this.located()
    const more = this.notShown > 0 ? { errors_not_shown: this.notShown } : {}
    if (!flatten) {
      return { code: 14, name: 'invalid declarative configuration', message: this.message, fields: this.fields(), details, ...more }
    }
    // Problems that concern an entity go to `flattened_errors`; the rest stay in `fields`.
    const tree = buildTree(this.reported.filter((i) => i.entity === undefined))
    return {
      code: 14,
      name: 'invalid declarative configuration',
      message: `declarative config is invalid: ${luaPretty(tree)}${notShown(this.notShown)}`,
      fields: toJson(tree),
      flattened_errors: flattenIssues(this.reported, this.#locator),
      details,
      ...more,
    }
  }

  /** Kong's CLI rendering (`in 'services':` / `- in entry 1 of 'services':`). */
  pretty(): string {
    return prettyLines(this.fields(), 0).join('\n') + notShown(this.notShown)
  }
}

/**
 * Issues with source, line, column (where known) and entity path, in document order. Merged
 * from several files, each names its own file and its path there, and a uniqueness violation
 * names where the value was declared first.
 */
export function locateIssues(issues: readonly ConfigIssue[], locator: Locator): LocatedIssue[] {
  const located = sortByPath(issues, (i) => i.at).map((issue) => {
    const place = locator.place(issue.at)
    const pos = place.position
    const first = locator.multi && issue.firstAt ? firstDeclared(locator, issue.firstAt) : undefined
    const explanation = [issue.explanation, first].filter((e) => e !== undefined).join('; ')
    return {
      file: place.file,
      issue: {
        source: place.source,
        ...(pos ? { line: pos.line, column: pos.column } : {}),
        path: pathString(place.at),
        message: issue.message,
        ...(explanation === '' ? {} : { explanation }),
      },
    }
  })
  return located.sort((a, b) => byPlace({ file: a.file, ...a.issue }, { file: b.file, ...b.issue })).map((l) => l.issue)
}

/** `first declared at a.yml:3:5 (services[0].name)`. */
function firstDeclared(locator: Locator, at: Path): string {
  const place = locator.place(at)
  const where = place.position ? `${place.source}:${place.position.line}:${place.position.column}` : place.source
  return `first declared at ${where} (${pathString(place.at)})`
}

function notShown(n: number): string {
  return n > 0 ? ` (and ${n} more error${n === 1 ? '' : 's'} not shown)` : ''
}
