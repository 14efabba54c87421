// Time helpers with no other dependencies (importable alone as @tubefeed/core/time).
export * from './pacific-time.js';
