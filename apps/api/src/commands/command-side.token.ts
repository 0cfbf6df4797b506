/** The Nest token under which the process's command side (libs/application) is provided. */
export const COMMAND_SIDE = Symbol('CommandSide');
