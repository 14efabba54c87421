// What the flood client (flood-client.ts, a process of its own) prints for the harness
// (flood-process.ts). A module of its own: importing flood-client.ts would run the client.
export const FLOOD_STARTED = 'FLOOD_STARTED';
export const FLOOD_RESULT = 'FLOOD_RESULT ';
