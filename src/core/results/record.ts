/** One measured figure in reports/<run>/results.json; free of Node imports so the k6 bundles can share it. */
export interface ResultRecord {
  id: string;
  value: number;
  unit: string;
  /** "<= 30" style, or null for a figure that is reported and not asserted. */
  target: string | null;
  pass: boolean;
  suite: string;
  note?: string;
  at: string;
}
