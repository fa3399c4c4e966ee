import { channelNames, type ChannelName } from './channel-names.js';

/** The labels of an AI evaluation of a conversation. */
export const aiLabels = ['positive', 'negative', 'neutral'] as const;
export type AiLabel = (typeof aiLabels)[number];

/** A campaign's goal as stored (the execution contract's CampaignGoalSpec, docs/execution-contract.openapi.json, defaults filled in). */
export type Objective =
  | { type: 'contact'; channels?: ChannelName[]; min_count: number }
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

type Contacts = Pick<ContactHistory, 'answeredCalls' | 'repliedMessages'>;

/** What counts as a contact on each channel: an answered call, a replied message. */
const contactsOn = (history: Contacts): Record<ChannelName, number> => ({ call: history.answeredCalls, whatsapp: history.repliedMessages });

/** Reached: contacted on any channel. */
export const isReached = (history: Contacts) => channelNames.some((channel) => contactsOn(history)[channel] > 0);

function objectiveMet(objective: Objective, history: ContactHistory): boolean {
  switch (objective.type) {
    case 'contact': {
      // No channels listed means every channel; a channel listed twice counts once.
      const listed: readonly ChannelName[] = objective.channels?.length ? objective.channels : channelNames;
      const counts = contactsOn(history);
      const contacts = channelNames.filter((channel) => listed.includes(channel)).reduce((sum, channel) => sum + counts[channel], 0);
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
