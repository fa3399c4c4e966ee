/** Time as the system sees it; tests inject their own to run campaigns at chosen local times. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
