/** The labels of an AI evaluation of a conversation. */
export const aiLabels = ['positive', 'negative', 'neutral'] as const;
export type AiLabel = (typeof aiLabels)[number];

/** A campaign's goal as stored (the execution contract's CampaignGoalSpec, docs/execution-contract.openapi.json, defaults filled in). */
export type Objective =
  | { type: 'contact'; channels?: Array<'call' | 'whatsapp'>; min_count: number }
  | { type: 'email'; min_count: number }
  | { type: 'ai'; label_in?: AiLabel[]; min_score: number };

export interface GoalSpec {
  objectives?: Objective[];
}

export type GoalLogic = 'all' | 'any';

/** What a target's history says about the goal, counted over all its rounds. */
export interface ContactHistory {
  answeredCalls: number;
  repliedMessages: number;
  sentEmails: number;
  aiEvaluations: Array<{ label: string; score: number }>;
}

export const isReached = (history: Pick<ContactHistory, 'answeredCalls' | 'repliedMessages'>) => history.answeredCalls + history.repliedMessages > 0;

function objectiveMet(objective: Objective, history: ContactHistory): boolean {
  switch (objective.type) {
    case 'contact': {
      // No channels listed means both.
      const channels = objective.channels?.length ? objective.channels : ['call', 'whatsapp'];
      const contacts = (channels.includes('call') ? history.answeredCalls : 0) + (channels.includes('whatsapp') ? history.repliedMessages : 0);
      return contacts >= objective.min_count;
    }
    case 'email':
      return history.sentEmails >= objective.min_count;
    case 'ai': {
      const labels = objective.label_in ?? [];
      return history.aiEvaluations.some(
        (evaluation) => (labels.length === 0 || (labels as readonly string[]).includes(evaluation.label)) && evaluation.score >= objective.min_score,
      );
    }
  }
}

/** docs/product.md, "Goal": all/any of the objectives; with none, the goal is met once the target is reached. */
export function isGoalMet(spec: GoalSpec | null | undefined, logic: GoalLogic, history: ContactHistory): boolean {
  const objectives = spec?.objectives ?? [];
  if (objectives.length === 0) return isReached(history);
  const met = objectives.map((objective) => objectiveMet(objective, history));
  return logic === 'all' ? met.every(Boolean) : met.some(Boolean);
}
