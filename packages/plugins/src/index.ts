/** @flatsparse/plugins: built-in plugins, written against the public plugin API. Nothing registers on import. */
export {};
