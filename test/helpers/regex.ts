/** `s` as a RegExp source that matches exactly `s` (for messages that quote user input). */
export const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
