import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'campaign-execution' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers["x-api-key"]', 'req.headers.authorization'],
  });
}
