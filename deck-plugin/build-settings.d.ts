// Types of build-settings.js (plain CommonJS so webpack's config can require it).

/** Packages Deck publishes on window.spinnaker.plugins.sharedLibraries. */
export const sharedLibraries: string[];
/** Packages the plugin must never bundle. */
export const forbidden: string[];
/** Largest allowed size of the built index.js. */
export const sizeBudgetBytes: number;
