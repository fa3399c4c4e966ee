import type { FastifyInstance } from 'fastify';

export interface AllowedMethods {
  /** The methods some route answers on this path (without query); empty when no route matches. */
  on(path: string): string[];
}

const escape = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** `/campaigns/:campaign_id/start` as a regular expression; `*` matches the rest of the path. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : escape(part).replace(/\*/g, '.*')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * Fastify answers 404 for a known path with an unknown method; this table, filled as routes are
 * added, lets the not-found handler answer 405 with an `Allow` header instead. Create it before
 * any route is registered.
 */
export function trackRoutes(app: FastifyInstance): AllowedMethods {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ pattern: patternOf(route.url), methods });
  });
  return {
    on(path) {
      const found = new Set<string>();
      for (const route of routes) if (route.pattern.test(path)) for (const method of route.methods) found.add(method);
      return [...found].sort();
    },
  };
}
