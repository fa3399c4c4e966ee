import { randomUUID } from 'node:crypto';

/** A job payload the size of the system's call jobs (about 300 bytes of JSON). */
export const barePayload = (index: number) => ({
  call_id: randomUUID(),
  campaign_id: '0190f3a0-0000-7000-8000-000000000001',
  target_id: randomUUID(),
  customer_id: null,
  attempt: 1,
  phone: `+1555${String(index).padStart(7, '0')}`,
  agent_id: '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10',
  phone_number_id: null,
  opening_message: null,
  variables: {},
  promotion: 1,
});
