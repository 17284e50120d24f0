export * from './limits.ts';
export * from './ids.ts';
export * from './errors.ts';
export * from './signal-payload.ts';
export * from './client-messages.ts';
export * from './server-messages.ts';
export * from './codec.ts';
export * from './peer-messages.ts';
