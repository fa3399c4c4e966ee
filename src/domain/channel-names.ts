/** The ways a target is contacted; each has one descriptor in src/channels.ts. */
export const channelNames = ['call', 'whatsapp'] as const;
export type ChannelName = (typeof channelNames)[number];
