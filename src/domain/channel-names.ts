/** The ways a target is contacted; each has one descriptor in src/channels.ts. */
export const channelNames = ['call', 'whatsapp'] as const;
export type ChannelName = (typeof channelNames)[number];

/**
 * What the pure rules need to know of each channel; src/channels.ts carries it to the services.
 * `paced`: its contacts count against the pacing and concurrency limits of the campaign and the
 * organization. Pacing is about telephony (docs/product.md, "Compliance and pacing"): calls do,
 * messages do not.
 */
export const channelRules: Record<ChannelName, { paced: boolean }> = {
  call: { paced: true },
  whatsapp: { paced: false },
};
