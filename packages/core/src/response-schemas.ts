// The public response shapes, one schema each, with their types. Imports nothing but TypeBox
// (no Node API), so the dashboard's browser code imports its types from here
// (`@tubefeed/core/response-schemas`).
export * from './catalog/video-schemas.js';
export * from './admin/query-overview-schema.js';
export * from './admin/health-schema.js';
export * from './admin/admin-schemas.js';
