/** Demo steps added by later features (definitions, runs, data). */
export const extraSteps: { args: string[]; stdin?: string }[] = [];
