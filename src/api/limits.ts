import { loadConfig, type Config } from '../config.js';

/** Bounds on free-form input: what one organization may store in PostgreSQL or copy into Redis jobs. */
interface InputLimits {
  /** Campaign goal and opening messages (characters). */
  textMaxChars: number;
  /** A call outcome's summary (characters). */
  summaryMaxChars: number;
  /** A target's `variables`, serialized as JSON (UTF-8 bytes). */
  variablesMaxBytes: number;
  /** Nesting of a target's `variables`: the object itself is level 1. */
  variablesMaxDepth: number;
  /** Entries of `call_attempt_delays`, and the largest delay in minutes. */
  callAttemptDelaysMax: number;
  callAttemptDelayMaxMinutes: number;
  /** Entries of `goal_spec.objectives`. */
  goalObjectivesMax: number;
}

type LimitVariables = Pick<
  Config,
  | 'TEXT_MAX_CHARS'
  | 'SUMMARY_MAX_CHARS'
  | 'VARIABLES_MAX_BYTES'
  | 'VARIABLES_MAX_DEPTH'
  | 'CALL_ATTEMPT_DELAYS_MAX'
  | 'CALL_ATTEMPT_DELAY_MAX_MINUTES'
  | 'GOAL_OBJECTIVES_MAX'
>;

const fromConfig = (config: LimitVariables): InputLimits => ({
  textMaxChars: config.TEXT_MAX_CHARS,
  summaryMaxChars: config.SUMMARY_MAX_CHARS,
  variablesMaxBytes: config.VARIABLES_MAX_BYTES,
  variablesMaxDepth: config.VARIABLES_MAX_DEPTH,
  callAttemptDelaysMax: config.CALL_ATTEMPT_DELAYS_MAX,
  callAttemptDelayMaxMinutes: config.CALL_ATTEMPT_DELAY_MAX_MINUTES,
  goalObjectivesMax: config.GOAL_OBJECTIVES_MAX,
});

/** The documented defaults (src/config.ts), in force until the server configures the limits. */
const DEFAULTS: InputLimits = fromConfig(loadConfig({}));

// Why a mutable module rather than values baked into the schemas: the zod schemas are module
// constants, shared by the validator and the OpenAPI generator, and created before any
// configuration is read. The limits are therefore checked by refinements that read this object
// when a request is parsed (refinements also leave the generated document, and so the public
// contract, unchanged), and buildServer() sets it from the Config at boot. The limits are
// process-wide: the last server built in a process sets them for every schema.
let current: InputLimits = { ...DEFAULTS };

export function configureInputLimits(config: LimitVariables): void {
  current = fromConfig(config);
}

export function inputLimits(): Readonly<InputLimits> {
  return current;
}
