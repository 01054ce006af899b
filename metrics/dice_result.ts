/** Per-class Dice scores. */
export interface DiceResult {
  /** The scored labels, in the order of `dice`. */
  classes: number[];
  /** Dice `2|P∩T| / (|P| + |T|)` per class, in `[0, 1]`, or `emptyScore` for an absent class. */
  dice: number[];
  /** Mean of `dice` over the classes whose score is not `NaN` (`NaN` if none). */
  mean: number;
}
