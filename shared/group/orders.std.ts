/** Who answers in a group chat, as a plain list: the command line names them without loading zod. */
export const groupOrders = ['natural', 'list', 'manual'] as const;
