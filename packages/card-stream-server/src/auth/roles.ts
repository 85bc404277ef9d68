export const ROLES = ['events', 'workbench', 'auth'] as const;
export type Role = (typeof ROLES)[number];
