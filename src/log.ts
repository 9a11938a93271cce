/**
 * JSON logs, one object per line: below error on stdout, error and above on stderr; Kong's level names.
 * A log line that cannot be written (a closed pipe, a full disk) is dropped: logging never takes
 * the node down.
 */
import { writeSync } from 'node:fs'
import { pino, type Logger } from 'pino'

/** Kong's log levels, most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const LEVELS: Record<string, number> = { debug: 20, info: 30, notice: 35, warn: 40, error: 50, crit: 55, alert: 58, emerg: 60 }

export type NodeLogger = Logger<'notice' | 'crit' | 'alert' | 'emerg'>

/**
 * A sink over stdout or stderr that swallows write errors. Errors arrive either as an 'error'
 * event (a pipe whose reader went away) or as a throw (a file on a full disk); after either,
 * Node destroys the stream, so later lines go to the descriptor directly, and resume being
 * written once the disk has room again.
 */
function safeSink(name: 'stdout' | 'stderr'): { write(line: string): void } {
  const stream = process[name]
  const fd = name === 'stdout' ? 1 : 2
  stream.on('error', () => undefined)
  return {
    write(line: string): void {
      try {
        if (!stream.destroyed && stream.writable) stream.write(line)
        else writeSync(fd, line)
      } catch {
        // The line is lost; the node goes on.
      }
    },
  }
}

let sinks: { stdout: { write(line: string): void }; stderr: { write(line: string): void } } | undefined

/** A logger at `level`, tagged with the process role (primary or worker). */
export function createLogger(level: LogLevel, role: string): NodeLogger {
  sinks ??= { stdout: safeSink('stdout'), stderr: safeSink('stderr') }
  return pino(
    {
      level,
      customLevels: { notice: 35, crit: 55, alert: 58, emerg: 60 },
      useOnlyCustomLevels: false,
      base: { pid: process.pid, role },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream(
      [
        { level: LEVELS.debug, stream: sinks.stdout },
        { level: LEVELS.error, stream: sinks.stderr },
      ],
      { dedupe: true, levels: LEVELS },
    ),
  )
}
