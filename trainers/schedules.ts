/**
 * The ramp-ups and schedules of the semi-supervised baselines, where trainers have always
 * exported them. They live in `engine/schedules.ts` (pure functions of the iteration), so
 * that the consistency losses (EMA decay, UAMT's threshold ramp) and the trainers can both use
 * them without `losses/` importing `trainers/`.
 * @module
 */
export * from "../engine/schedules.ts";
