/** A campaign's goal as stored (the contract's CampaignGoalSpec, defaults filled in). */
export type Objective =
  | { type: 'contact'; channels?: Array<'call' | 'whatsapp'>; min_count: number }
  | { type: 'email'; min_count: number }
  | { type: 'ai'; label_in?: Array<'positive' | 'negative' | 'neutral'>; min_score: number };

export interface GoalSpec {
  objectives?: Objective[];
}
