/**
 * Words the planners and pay() share: how a planner says that the paths it found cost more
 * than the fee budget, which pay() reads to tell a fee-budget failure from a lack of room.
 */
export const TOO_DEAR = 'every plan found costs more';
