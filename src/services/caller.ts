/** Who sent a request: the organization it acts for and how it is named in the audit log. */
export interface Caller {
  organizationId: string;
  /** `api_key:<prefix>` or `jwt:<sub>`. */
  actor: string;
}
