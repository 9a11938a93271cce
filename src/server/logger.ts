/** JSON logs, one object per line: info and below on stdout, errors on stderr; Kong's level names. */
import { pino, type Logger } from 'pino'
import type { LogLevel } from '../conf/settings.js'

const LEVELS: Record<string, number> = { debug: 20, info: 30, notice: 35, warn: 40, error: 50, crit: 55, alert: 58, emerg: 60 }

export type NodeLogger = Logger<'notice' | 'crit' | 'alert' | 'emerg'>

/** A logger at `level`, tagged with the process role (primary or worker). */
export function createLogger(level: LogLevel, role: string): NodeLogger {
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
        { level: LEVELS.debug as number, stream: process.stdout },
        { level: LEVELS.error as number, stream: process.stderr },
      ],
      { dedupe: true, levels: LEVELS },
    ),
  ) as NodeLogger
}
