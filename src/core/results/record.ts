/** One measured figure in reports/<run>/results.json; free of Node imports so the k6 bundles can share it. */
export interface ResultRecord {
  id: string;
  value: number;
  unit: string;
  /** "<= 30" style, or null for a figure that is reported and not asserted. */
  target: string | null;
  /**
   * The plan's outer bound beside a profile's promise ("<= 3600" for a recovery time), or null. A figure
   * passes when it meets both: the target is what this profile promises, the bound what the plan allows.
   */
  bound?: string | null;
  pass: boolean;
  suite: string;
  note?: string;
  at: string;
}
